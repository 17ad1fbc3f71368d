-- +goose Up
-- Users carry custom claims (a JSON object as text, '{}' for none; kept as
-- written, which jsonb would not) that their access tokens carry. Clients
-- carry the scopes that bound their tokens, an audience added to them,
-- their own access-token lifetime (bigint microseconds, 0 for the
-- server's), an epoch (tokens a client obtained for itself before it are
-- revoked; the zero time.Time for "never moved", as users' epochs) and the
-- latest iat and exp of those tokens.
ALTER TABLE users ADD COLUMN claims text NOT NULL DEFAULT '{}';

ALTER TABLE clients
    ADD COLUMN scopes text NOT NULL DEFAULT '',
    ADD COLUMN audience text NOT NULL DEFAULT '',
    ADD COLUMN access_ttl bigint NOT NULL DEFAULT 0,
    ADD COLUMN epoch timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    ADD COLUMN access_issued_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    ADD COLUMN access_expires_at timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';

-- Deleting a client ends its sessions.
CREATE INDEX sessions_client_id ON sessions (client_id);
-- Users are paged through in byte order of their names (ListUsers).
CREATE INDEX users_username_bytes ON users (username COLLATE "C");

-- +goose Down
DROP INDEX users_username_bytes;
DROP INDEX sessions_client_id;
ALTER TABLE clients
    DROP COLUMN access_expires_at, DROP COLUMN access_issued_at, DROP COLUMN epoch, DROP COLUMN access_ttl,
    DROP COLUMN audience, DROP COLUMN scopes;
ALTER TABLE users DROP COLUMN claims;
