-- The words of the annual report, as people edit them: every save is a new version (never
-- overwritten), and an event in the tenant's chain says who saved it.
CREATE TABLE report_drafts (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    year          BIGINT NOT NULL,
    version       BIGINT NOT NULL,
    content       TEXT NOT NULL,
    saved_by      TEXT,
    saved_by_name TEXT NOT NULL,
    saved_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, year, version)
);
