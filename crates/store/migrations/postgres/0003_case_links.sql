-- Links between cases (PostgreSQL). Kept in lockstep with ../sqlite/0003_case_links.sql.
-- A visit turned into a dispute, petition or work order; a duplicate merged into its original; two
-- cases about the same matter. Each link is written in the same transaction as an event on both
-- cases, so the chain records it; this table lets a case page list its links without reading
-- every event.
CREATE TABLE case_links (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    from_case   TEXT NOT NULL REFERENCES cases(id),
    to_case     TEXT NOT NULL REFERENCES cases(id),
    relation    TEXT NOT NULL CHECK (relation IN ('converted', 'merged', 'related', 'same_matter')),
    note        TEXT NOT NULL,
    created_by  TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (from_case, to_case),
    CHECK (from_case <> to_case)
);
CREATE INDEX case_links_from ON case_links (from_case);
CREATE INDEX case_links_to ON case_links (to_case);
