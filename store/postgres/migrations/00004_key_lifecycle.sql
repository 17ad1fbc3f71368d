-- +goose Up
-- Signing keys look after themselves (docs/keys.md): private keys are sealed
-- under a key-encryption key that is not in the database (the first process
-- holding one seals the rows below, which are still in the clear, and fills
-- in their public halves); each key records when it began to sign and the
-- latest exp of a token it signed; the key policy (algorithm, rotation
-- period, JWKS cache lifetime, which KEK seals the keys) is the deployment's,
-- the same for every replica.
ALTER TABLE signing_keys
    ADD COLUMN public_key bytea,
    ADD COLUMN kek_id text NOT NULL DEFAULT '',
    ADD COLUMN activated_at timestamptz,
    ADD COLUMN signed_until timestamptz;
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
    id               integer PRIMARY KEY CHECK (id = 1),
    algorithm        text NOT NULL,
    rotation_us      bigint NOT NULL CHECK (rotation_us >= 0),
    jwks_max_age_us  bigint NOT NULL CHECK (jwks_max_age_us >= 0),
    jwks_stale_until timestamptz,
    kek_id           text NOT NULL DEFAULT '',
    version          bigint NOT NULL DEFAULT 1
);
INSERT INTO key_policy (id, algorithm, rotation_us, jwks_max_age_us)
    VALUES (1, coalesce((SELECT algorithm FROM signing_keys WHERE state = 'active'), 'ES256'), 2592000000000, 300000000);

-- The feed gains "kid" entries: the signing key `value` was revoked; drop it
-- and refuse every token it signed.
ALTER TABLE revocations DROP CONSTRAINT revocations_kind_check;
ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check CHECK (kind IN ('jti', 'sid', 'user', 'kid'));

-- +goose Down
-- Keys sealed since stay sealed: the version before cannot open them and
-- refuses to start (fail closed) until it is given keys it can read. Retired
-- keys whose private part was destroyed go.
DELETE FROM revocations WHERE kind = 'kid';
ALTER TABLE revocations DROP CONSTRAINT revocations_kind_check;
ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check CHECK (kind IN ('jti', 'sid', 'user'));
DROP TABLE key_policy;
DELETE FROM signing_keys WHERE length(private_key) = 0;
ALTER TABLE signing_keys
    DROP COLUMN signed_until, DROP COLUMN activated_at, DROP COLUMN kek_id, DROP COLUMN public_key;
