-- Kept in step with postgres/0006_list_order.sql, which stores the text search vector and adds
-- the id to the district-wide list indexes. SQLite needs neither: its text index is the FTS5
-- table of 0005, and every index already ends with the rowid, the lists' tie-breaker.
SELECT 1;
