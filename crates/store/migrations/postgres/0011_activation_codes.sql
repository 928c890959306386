-- The second part of an activation: a short code the 安全管理员 issues for the account (shown to
-- them once, handed to the user). The link alone — the 系统管理员's part — no longer sets a
-- password, nor does the code alone: neither administrator can take over an account by
-- themselves (等保 2.0 三员分立, GB/T 22239-2019 §8.1.4.2). Only a hash of the code is kept;
-- wrong codes are counted and too many void the link.
ALTER TABLE activations ADD COLUMN code_hash TEXT;
ALTER TABLE activations ADD COLUMN code_failures BIGINT NOT NULL DEFAULT 0;
