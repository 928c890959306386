-- Seals (issue 10 item 11: a record nobody can rewrite). Each event may carry the record it is
-- about when that is not a case (`subject`: user:<id>, unit:<id>, tenant:<id>,
-- report_draft:<year>:<version>, calendar:<year>), the digest of that record — or of its case's
-- row — as the event left it (`digest`, covered by the event's hash), and an HMAC of its hash
-- under a key kept outside the database (`mac`). `fazhi audit verify` recomputes every record's
-- digest from its row and compares it with the last event about it; the MAC makes an event
-- appended or rewritten by hand detectable. Events written before this migration have none of
-- the three, and their hashes are unchanged.
ALTER TABLE events ADD COLUMN subject TEXT;
ALTER TABLE events ADD COLUMN digest TEXT;
ALTER TABLE events ADD COLUMN mac TEXT;
-- The last event about a record that is not a case, found without walking the chain.
CREATE INDEX events_subject ON events (tenant_id, subject, seq) WHERE subject IS NOT NULL;
-- Verification reads a tenant's cases a page at a time in id order.
CREATE INDEX cases_tenant_id ON cases (tenant_id, id);
