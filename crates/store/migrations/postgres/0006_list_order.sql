-- PostgreSQL plans at a million cases (issue 5, docs/performance.md).
--
-- The text index over a stored tsvector: with the expression index of 0005, every row a plan
-- checks recomputed to_tsvector, so the planner always preferred intersecting the whole index
-- (200,000 hits for a common word) with the unit's few thousand cases: 60 ms for a village's
-- first page. With the vector stored, a narrow scope is filtered cheaply row by row.
ALTER TABLE cases ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_terms, ''))) STORED;
CREATE INDEX cases_search ON cases USING gin (search_vector);
DROP INDEX cases_terms;

-- Lists across a district end their ORDER BY with the id (pages never overlap); with the id in
-- the index the first page is read in order and stops at 20 rows, instead of reading every
-- overdue case of the district to sort ties (47 ms). SQLite's indexes end with the rowid already.
CREATE INDEX cases_all_kind_state_due_id ON cases (kind, state, due_on, id);
DROP INDEX cases_all_kind_state_due;
CREATE INDEX cases_all_opened_id ON cases (opened_at, id);
DROP INDEX cases_all_opened;
