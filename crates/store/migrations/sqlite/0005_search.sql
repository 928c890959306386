-- Full-text search over cases (issue 5: text search at a million cases).
-- search_terms holds the pairs of adjacent Han characters of search_text (fazhi_domain::search);
-- FTS5 indexes them. The list still checks search_text itself, so the index only narrows.
-- NULL until computed: rows written before this migration are filled in by Store::migrate.
ALTER TABLE cases ADD COLUMN search_terms TEXT;
CREATE INDEX cases_terms_pending ON cases (id) WHERE search_terms IS NULL;

-- The index is brought up to date beside the writers, not inside each registration: flushing
-- index terms in every commit cost a fifth of the registration rate. Cases up to
-- search_indexed.upto (a rowid) are indexed by the store's maintenance thread, in order; later
-- ones are "pending" and a text search checks them directly (there are at most a few hundred).
-- A case already indexed whose terms change is re-indexed at once by the trigger below.
CREATE VIRTUAL TABLE cases_fts USING fts5(search_terms, content = '', contentless_delete = 1, detail = none);
CREATE TABLE search_indexed (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
);
INSERT INTO search_indexed (id, upto) VALUES (1, 0);

CREATE TRIGGER cases_fts_update AFTER UPDATE OF search_terms ON cases
    WHEN old.search_terms IS NOT new.search_terms
     AND new.rowid <= (SELECT upto FROM search_indexed WHERE id = 1) BEGIN
    DELETE FROM cases_fts WHERE rowid = new.rowid;
    INSERT INTO cases_fts (rowid, search_terms) VALUES (new.rowid, new.search_terms);
END;
CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases
    WHEN old.rowid <= (SELECT upto FROM search_indexed WHERE id = 1) BEGIN
    DELETE FROM cases_fts WHERE rowid = old.rowid;
END;

-- Lists across a whole district (every town) in date order: walk these and stop at the page.
CREATE INDEX cases_all_opened ON cases (opened_at);
CREATE INDEX cases_all_kind_state_due ON cases (kind, state, due_on);

-- One index for a village's or town's subtree (replacing cases_unit_due and cases_due): its
-- counts and filters by kind, state and due date, and a word searched in its cases' text, are
-- read from the index alone — a few hundred index pages instead of a few thousand case rows.
-- Every index is paid for by every registration, so one serves both. (SQLite only keeps the
-- text here: PostgreSQL's B-tree entries are limited to ~2.7 kB, and its planner has the term
-- index.)
DROP INDEX cases_unit_due;
DROP INDEX cases_due;
CREATE INDEX cases_unit ON cases (tenant_id, unit_path, kind, state, due_on, opened_at, search_text);
