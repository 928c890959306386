-- One-time activation links: a new account's first password, or a password reset by the
-- 系统管理员, is set by the user through a link the administrator hands over, so no administrator
-- ever sees a password (等保 2.0 三员分立, GB/T 22239-2019 §8.1.4.2). Only a hash of the token is
-- kept; a link works once, until it expires, and a new one replaces the old.
CREATE TABLE activations (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX activations_user ON activations (user_id);
