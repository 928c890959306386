-- Full-text search over cases (issue 5: text search at a million cases).
-- search_terms holds the pairs of adjacent Han characters of search_text (fazhi_domain::search);
-- the 'simple' configuration keeps each pair as one lexeme. The list still checks search_text
-- itself, so the index only narrows.
-- NULL until computed: rows written before this migration are filled in by Store::migrate.
ALTER TABLE cases ADD COLUMN search_terms TEXT;
CREATE INDEX cases_terms_pending ON cases (id) WHERE search_terms IS NULL;
CREATE INDEX cases_terms ON cases USING gin (to_tsvector('simple', search_terms));

-- Lists across a whole district (every town) in date order: walk these and stop at the page.
CREATE INDEX cases_all_opened ON cases (opened_at);
CREATE INDEX cases_all_kind_state_due ON cases (kind, state, due_on);

-- One index for a village's or town's subtree (replacing cases_unit_due and cases_due): its
-- counts and filters by kind, state and due date.
DROP INDEX cases_unit_due;
DROP INDEX cases_due;
CREATE INDEX cases_unit ON cases (tenant_id, unit_path, kind, state, due_on);
