-- +goose Up
-- Signing keys look after themselves (docs/keys.md): private keys are sealed
-- under a key-encryption key that is not in the database (the first process
-- holding one seals the rows below, which are still in the clear, and fills
-- in their public halves); each key records when it began to sign and the
-- latest exp of a token it signed; the key policy (algorithm, rotation
-- period, JWKS cache lifetime, which KEK seals the keys) is the deployment's,
-- the same for every process.
ALTER TABLE signing_keys ADD COLUMN public_key BLOB;
ALTER TABLE signing_keys ADD COLUMN kek_id TEXT NOT NULL DEFAULT '';
ALTER TABLE signing_keys ADD COLUMN activated_at INTEGER;
ALTER TABLE signing_keys ADD COLUMN signed_until INTEGER;
-- Keys from before: the active and retired ones began to sign when they were
-- created, as far as anyone knows, and every access token they signed
-- expires no later than the latest exp recorded by any session
-- (sessions.access_expires_at, written before a token is handed out).
UPDATE signing_keys SET activated_at = created_at WHERE state IN ('active', 'retired');
UPDATE signing_keys SET signed_until = (SELECT max(access_expires_at) FROM sessions)
    WHERE state IN ('active', 'retired');

-- One row. Durations are microseconds. The algorithm of a database from
-- before is the one its active key has; a server started with another --alg
-- migrates it by a rotation.
CREATE TABLE key_policy (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    algorithm        TEXT NOT NULL,
    rotation_us      INTEGER NOT NULL CHECK (rotation_us >= 0),
    jwks_max_age_us  INTEGER NOT NULL CHECK (jwks_max_age_us >= 0),
    jwks_stale_until INTEGER,
    kek_id           TEXT NOT NULL DEFAULT '',
    version          INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO key_policy (id, algorithm, rotation_us, jwks_max_age_us)
    VALUES (1, coalesce((SELECT algorithm FROM signing_keys WHERE state = 'active'), 'ES256'), 2592000000000, 300000000);

-- The feed gains "kid" entries: the signing key `value` was revoked; drop it
-- and refuse every token it signed. SQLite cannot change a CHECK
-- constraint, so the table is copied, keeping every cursor and the
-- AUTOINCREMENT high-water mark.
CREATE TABLE revocations_new (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('jti', 'sid', 'user', 'kid')),
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
-- Keys sealed since stay sealed: the version before cannot open them and
-- refuses to start (fail closed) until it is given keys it can read. Retired
-- keys whose private part was destroyed go.
CREATE TABLE revocations_old (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('jti', 'sid', 'user')),
    value      TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    forget_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
) STRICT;
INSERT INTO revocations_old (cursor, kind, value, revoked_at, forget_at)
    SELECT cursor, kind, value, revoked_at, forget_at FROM revocations WHERE kind IN ('jti', 'sid', 'user');
DELETE FROM sqlite_sequence WHERE name = 'revocations_old';
INSERT INTO sqlite_sequence (name, seq) SELECT 'revocations_old', seq FROM sqlite_sequence WHERE name = 'revocations';
DROP TABLE revocations;
ALTER TABLE revocations_old RENAME TO revocations;
CREATE INDEX revocations_forget_at ON revocations (forget_at);
DROP TABLE key_policy;
DELETE FROM signing_keys WHERE length(private_key) = 0;
ALTER TABLE signing_keys DROP COLUMN signed_until;
ALTER TABLE signing_keys DROP COLUMN activated_at;
ALTER TABLE signing_keys DROP COLUMN kek_id;
ALTER TABLE signing_keys DROP COLUMN public_key;
