-- +goose Up
-- A user's state is one consistent thing (docs/security.md): every write to
-- a user is conditional on its version; its security epoch ends every
-- session created under an earlier one. Sessions keep the epoch they were
-- created under, the hash of their refresh-token family, the latest exp of
-- an access token minted for them, and where they were last used.
-- Users and sessions from before are in the zero epoch: the column form of
-- Go's zero time.Time (0001-01-01 UTC), which the store reads back as zero
-- (gatehouse.User.Epoch: "Zero for a user that never moved it").
ALTER TABLE users ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN epoch INTEGER NOT NULL DEFAULT -62135596800000000;

ALTER TABLE sessions ADD COLUMN epoch INTEGER NOT NULL DEFAULT -62135596800000000;
ALTER TABLE sessions ADD COLUMN family_hash BLOB;
ALTER TABLE sessions ADD COLUMN access_expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_user_agent TEXT NOT NULL DEFAULT '';
-- Sessions from before: their access tokens expire with them at the latest.
UPDATE sessions SET access_expires_at = expires_at, last_ip = ip, last_user_agent = user_agent;
CREATE UNIQUE INDEX sessions_family_hash ON sessions (family_hash) WHERE family_hash IS NOT NULL;

-- Sealed successors are dropped once no retry can need them.
CREATE INDEX refresh_tokens_sealed ON refresh_tokens (rotated_at) WHERE sealed_successor IS NOT NULL;

-- The feed gains "user" entries: every token of user `value` issued before
-- `revoked_at`. SQLite cannot change a CHECK constraint, so the table is
-- copied, keeping every cursor and the AUTOINCREMENT high-water mark.
CREATE TABLE revocations_new (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('jti', 'sid', 'user')),
    value      TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    forget_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
) STRICT;
INSERT INTO revocations_new (cursor, kind, value, revoked_at, forget_at)
    SELECT cursor, kind, value, revoked_at, forget_at FROM revocations;
DELETE FROM sqlite_sequence WHERE name = 'revocations_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'revocations_new', seq FROM sqlite_sequence WHERE name = 'revocations';
DROP TABLE revocations;
ALTER TABLE revocations_new RENAME TO revocations;
CREATE INDEX revocations_forget_at ON revocations (forget_at);

-- +goose Down
CREATE TABLE revocations_old (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('jti', 'sid')),
    value      TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    forget_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
) STRICT;
INSERT INTO revocations_old (cursor, kind, value, revoked_at, forget_at)
    SELECT cursor, kind, value, revoked_at, forget_at FROM revocations WHERE kind IN ('jti', 'sid');
DELETE FROM sqlite_sequence WHERE name = 'revocations_old';
INSERT INTO sqlite_sequence (name, seq) SELECT 'revocations_old', seq FROM sqlite_sequence WHERE name = 'revocations';
DROP TABLE revocations;
ALTER TABLE revocations_old RENAME TO revocations;
CREATE INDEX revocations_forget_at ON revocations (forget_at);
DROP INDEX refresh_tokens_sealed;
DROP INDEX sessions_family_hash;
ALTER TABLE sessions DROP COLUMN last_user_agent;
ALTER TABLE sessions DROP COLUMN last_ip;
ALTER TABLE sessions DROP COLUMN access_expires_at;
ALTER TABLE sessions DROP COLUMN family_hash;
ALTER TABLE sessions DROP COLUMN epoch;
ALTER TABLE users DROP COLUMN epoch;
ALTER TABLE users DROP COLUMN version;
