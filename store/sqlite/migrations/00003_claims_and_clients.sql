-- +goose Up
-- Users carry custom claims (a JSON object, '{}' for none) that their
-- access tokens carry. Clients carry the scopes that bound their tokens,
-- an audience added to them, their own access-token lifetime (INTEGER
-- microseconds, 0 for the server's), an epoch (tokens a client obtained
-- for itself before it are revoked; the zero time.Time for "never moved",
-- as users' epochs) and the latest iat and exp of those tokens.
ALTER TABLE users ADD COLUMN claims TEXT NOT NULL DEFAULT '{}';

ALTER TABLE clients ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN access_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN epoch INTEGER NOT NULL DEFAULT -62135596800000000;
ALTER TABLE clients ADD COLUMN access_issued_at INTEGER NOT NULL DEFAULT -62135596800000000;
ALTER TABLE clients ADD COLUMN access_expires_at INTEGER NOT NULL DEFAULT -62135596800000000;

-- Deleting a client ends its sessions.
CREATE INDEX sessions_client_id ON sessions (client_id);

-- +goose Down
DROP INDEX sessions_client_id;
ALTER TABLE clients DROP COLUMN access_expires_at;
ALTER TABLE clients DROP COLUMN access_issued_at;
ALTER TABLE clients DROP COLUMN epoch;
ALTER TABLE clients DROP COLUMN access_ttl;
ALTER TABLE clients DROP COLUMN audience;
ALTER TABLE clients DROP COLUMN scopes;
ALTER TABLE users DROP COLUMN claims;
