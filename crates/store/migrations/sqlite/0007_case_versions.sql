-- Figures of a period are computed as at its end (统计截止日) from the versions of each case in
-- effect then, so a closed year's figures do not change when later events arrive (a rating, a 复查).
-- Kept in lockstep with ../postgres/0007_case_versions.sql.

-- When the case's current version took legal effect (the recorded date of its latest legal event,
-- never before the version it follows). Rows written before this migration: their last write.
ALTER TABLE cases ADD COLUMN effective_at BIGINT NOT NULL DEFAULT 0;
UPDATE cases SET effective_at = updated_at;

-- Every superseded version of a case, with the columns figures read: in effect from
-- `effective_at` until `superseded_at` (the next version's `effective_at`).
CREATE TABLE case_versions (
    case_id       TEXT NOT NULL,
    version       BIGINT NOT NULL,
    tenant_id     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    category      TEXT,
    state         TEXT NOT NULL,
    phase         TEXT NOT NULL,
    unit_path     TEXT NOT NULL,
    data          TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    closed_at     BIGINT,
    effective_at  BIGINT NOT NULL,
    superseded_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, version)
);
-- A period's figures read the versions superseded after its end.
CREATE INDEX case_versions_as_at ON case_versions (tenant_id, kind, superseded_at);

-- Whatever writes a new version of a case keeps the old one (actions, links, merges, recomputed
-- clocks); a write that leaves the version alone (the text index) keeps nothing.
CREATE TRIGGER cases_keep_versions AFTER UPDATE OF version ON cases
WHEN OLD.version <> NEW.version
BEGIN
    INSERT INTO case_versions (case_id, version, tenant_id, kind, category, state, phase, unit_path, data,
                               opened_at, closed_at, effective_at, superseded_at)
    VALUES (OLD.id, OLD.version, OLD.tenant_id, OLD.kind, OLD.category, OLD.state, OLD.phase, OLD.unit_path,
            OLD.data, OLD.opened_at, OLD.closed_at, OLD.effective_at, NEW.effective_at);
END;
