-- +goose Up
-- A user's state is one consistent thing (docs/security.md): every write to
-- a user is conditional on its version; its security epoch ends every
-- session created under an earlier one. Sessions keep the epoch they were
-- created under, the hash of their refresh-token family, the latest exp of
-- an access token minted for them, and where they were last used.
-- Users and sessions from before are in the zero epoch: Go's zero
-- time.Time (0001-01-01 UTC), which the store reads back as zero
-- (gatehouse.User.Epoch: "Zero for a user that never moved it").
ALTER TABLE users
    ADD COLUMN version bigint NOT NULL DEFAULT 1,
    ADD COLUMN epoch timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';

ALTER TABLE sessions
    ADD COLUMN epoch timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    ADD COLUMN family_hash bytea,
    ADD COLUMN access_expires_at timestamptz,
    ADD COLUMN last_ip text NOT NULL DEFAULT '',
    ADD COLUMN last_user_agent text NOT NULL DEFAULT '';
-- Sessions from before: their access tokens expire with them at the latest.
UPDATE sessions SET access_expires_at = expires_at, last_ip = ip, last_user_agent = user_agent;
ALTER TABLE sessions ALTER COLUMN access_expires_at SET NOT NULL;
CREATE UNIQUE INDEX sessions_family_hash ON sessions (family_hash) WHERE family_hash IS NOT NULL;

-- Sealed successors are dropped once no retry can need them.
CREATE INDEX refresh_tokens_sealed ON refresh_tokens (rotated_at) WHERE sealed_successor IS NOT NULL;

-- The feed gains "user" entries: every token of user `value` issued before
-- `revoked_at`.
ALTER TABLE revocations DROP CONSTRAINT revocations_kind_check;
ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check CHECK (kind IN ('jti', 'sid', 'user'));

-- +goose Down
DELETE FROM revocations WHERE kind = 'user';
ALTER TABLE revocations DROP CONSTRAINT revocations_kind_check;
ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check CHECK (kind IN ('jti', 'sid'));
DROP INDEX refresh_tokens_sealed;
DROP INDEX sessions_family_hash;
ALTER TABLE sessions
    DROP COLUMN last_user_agent, DROP COLUMN last_ip, DROP COLUMN access_expires_at,
    DROP COLUMN family_hash, DROP COLUMN epoch;
ALTER TABLE users DROP COLUMN epoch, DROP COLUMN version;
