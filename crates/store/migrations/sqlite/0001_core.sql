-- fazhi core schema (SQLite). Kept in lockstep with ../postgres/0001_core.sql.
-- Instants are Unix milliseconds (BIGINT); dates are YYYY-MM-DD; JSON is TEXT.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('town', 'district')),
    parent_id   TEXT REFERENCES tenants(id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE units (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    parent_id   TEXT REFERENCES units(id),
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, code),
    UNIQUE (tenant_id, path)
);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id),
    unit_id              TEXT NOT NULL REFERENCES units(id),
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins        BIGINT NOT NULL DEFAULT 0,
    locked_until         BIGINT,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           BIGINT NOT NULL,
    password_changed_at  BIGINT NOT NULL,
    last_login_at        BIGINT
);
CREATE INDEX users_tenant ON users (tenant_id, username);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('api', 'web')),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE cases (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    kind             TEXT NOT NULL,
    receipt_no       TEXT NOT NULL UNIQUE,
    query_digest     TEXT,
    title            TEXT NOT NULL,
    category         TEXT,
    urgency          TEXT,
    state            TEXT NOT NULL,
    phase            TEXT NOT NULL,
    unit_id          TEXT NOT NULL REFERENCES units(id),
    unit_path        TEXT NOT NULL,
    location         TEXT,
    data             TEXT NOT NULL,
    clocks           TEXT NOT NULL,
    due_on           TEXT,
    statutory_due_on TEXT,
    provisional      BOOLEAN NOT NULL DEFAULT FALSE,
    opened_at        BIGINT NOT NULL,
    closed_at        BIGINT,
    updated_at       BIGINT NOT NULL,
    created_by       TEXT,
    version          BIGINT NOT NULL,
    search_text      TEXT NOT NULL
);
-- The lists the UI shows: by kind and state ordered by due date; by unit subtree; by period.
CREATE INDEX cases_kind_state_due ON cases (tenant_id, kind, state, due_on);
CREATE INDEX cases_unit_due ON cases (tenant_id, unit_path, due_on);
CREATE INDEX cases_kind_opened ON cases (tenant_id, kind, opened_at);
CREATE INDEX cases_due ON cases (tenant_id, due_on);
CREATE INDEX cases_provisional ON cases (provisional) WHERE provisional;

-- Keyed digests of personal identifiers, for finding the same person or phone.
CREATE TABLE party_index (
    tenant_id TEXT NOT NULL,
    case_id   TEXT NOT NULL REFERENCES cases(id),
    kind      TEXT NOT NULL,
    digest    TEXT NOT NULL,
    PRIMARY KEY (case_id, kind, digest)
);
CREATE INDEX party_index_digest ON party_index (tenant_id, kind, digest);

CREATE TABLE receipt_counters (
    tenant_id TEXT NOT NULL,
    kind      TEXT NOT NULL,
    year      BIGINT NOT NULL,
    last      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, year)
);

-- The hash chain: one per tenant, append-only.
CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    seq          BIGINT NOT NULL,
    case_id      TEXT,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    action_label TEXT NOT NULL,
    from_state   TEXT,
    to_state     TEXT,
    payload      TEXT NOT NULL,
    attachments  TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    UNIQUE (tenant_id, seq)
);
CREATE INDEX events_case ON events (case_id, seq);
CREATE INDEX events_tenant_time ON events (tenant_id, occurred_at);

CREATE TABLE chain_heads (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL
);

-- Events are never changed: the application cannot update or delete them by mistake. Tampering
-- with the database itself is what `fazhi audit verify` detects.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Written in the same transaction as the event; delivered by notifiers.
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    event_id     TEXT NOT NULL REFERENCES events(id),
    topic        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX outbox_pending ON outbox (created_at) WHERE delivered_at IS NULL;

-- Calendar years imported after release (they override the shipped ones).
CREATE TABLE calendar_years (
    year        BIGINT PRIMARY KEY,
    data        TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    imported_by TEXT NOT NULL
);
