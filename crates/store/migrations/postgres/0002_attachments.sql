-- Files attached to a case by an action (photos, signed documents). The bytes live under
-- <data_dir>/attachments/, named by their SHA-256; the event records the hash; this row records
-- what the file is and which case it belongs to, so access follows the case's scope.
CREATE TABLE attachments (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    hash        TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    uploaded_by TEXT,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, hash)
);
