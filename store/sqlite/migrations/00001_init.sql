-- +goose Up
-- Times are INTEGER microseconds since the Unix epoch (UTC); NULL is "not
-- yet" (not rotated, not revoked, not retired). Hashes are BLOBs. Scopes are
-- one space-joined TEXT column. STRICT tables refuse a value of the wrong type.

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    scopes              TEXT NOT NULL DEFAULT '',
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
) STRICT;

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL DEFAULT '',
    public      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
) STRICT;

-- Sessions are not tied to users by a foreign key: DeleteUser removes them
-- explicitly, in the same transaction.
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    scopes          TEXT NOT NULL DEFAULT '',
    auth_time       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    user_agent      TEXT NOT NULL DEFAULT '',
    ip              TEXT NOT NULL DEFAULT '',
    revoked_at      INTEGER,
    revoke_reason   TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE refresh_tokens (
    hash             BLOB PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    rotated_at       INTEGER,
    successor_hash   BLOB,
    sealed_successor BLOB
) STRICT;
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
-- One lineage per session: at most one live (not rotated) token.
CREATE UNIQUE INDEX refresh_tokens_one_live ON refresh_tokens (session_id) WHERE rotated_at IS NULL;

-- AUTOINCREMENT: a cursor is never handed out twice, even after Purge
-- deleted the newest entries, so a feed reader never skips an entry.
CREATE TABLE revocations (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('jti', 'sid')),
    value      TEXT NOT NULL,
    revoked_at INTEGER NOT NULL,
    forget_at  INTEGER NOT NULL,
    UNIQUE (kind, value)
) STRICT;
CREATE INDEX revocations_forget_at ON revocations (forget_at);

CREATE TABLE signing_keys (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    algorithm   TEXT NOT NULL,
    private_key BLOB NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) STRICT;
-- Exactly one active and one next key, whatever the concurrency.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';

CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    client_id  TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_user_id ON events (user_id, id);

-- +goose Down
DROP TABLE events;
DROP TABLE signing_keys;
DROP TABLE revocations;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE clients;
DROP TABLE users;
