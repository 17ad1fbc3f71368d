-- +goose Up
CREATE TABLE users (
    id                  text PRIMARY KEY,
    username            text NOT NULL UNIQUE,
    password_hash       text NOT NULL,
    scopes              text NOT NULL DEFAULT '',
    disabled            boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    password_changed_at timestamptz NOT NULL
);

CREATE TABLE clients (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    secret_hash text NOT NULL DEFAULT '',
    public      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL
);

-- Sessions are not tied to users by a foreign key: DeleteUser removes them
-- explicitly, in the same transaction.
CREATE TABLE sessions (
    id              text PRIMARY KEY,
    user_id         text NOT NULL,
    client_id       text NOT NULL,
    scopes          text NOT NULL DEFAULT '',
    auth_time       timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz NOT NULL,
    idle_expires_at timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    user_agent      text NOT NULL DEFAULT '',
    ip              text NOT NULL DEFAULT '',
    revoked_at      timestamptz,
    revoke_reason   text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE refresh_tokens (
    hash             bytea PRIMARY KEY,
    session_id       text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL,
    rotated_at       timestamptz,
    successor_hash   bytea,
    sealed_successor bytea
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
-- One lineage per session: at most one live (not rotated) token.
CREATE UNIQUE INDEX refresh_tokens_one_live ON refresh_tokens (session_id) WHERE rotated_at IS NULL;

CREATE TABLE revocations (
    cursor     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('jti', 'sid')),
    value      text NOT NULL,
    revoked_at timestamptz NOT NULL,
    forget_at  timestamptz NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX revocations_forget_at ON revocations (forget_at);

CREATE TABLE signing_keys (
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    id          text PRIMARY KEY,
    algorithm   text NOT NULL,
    private_key bytea NOT NULL,
    state       text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz
);
-- Exactly one active and one next key, whatever the concurrency.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';

CREATE TABLE events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time       timestamptz NOT NULL,
    kind       text NOT NULL,
    user_id    text NOT NULL DEFAULT '',
    session_id text NOT NULL DEFAULT '',
    client_id  text NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    detail     text NOT NULL DEFAULT ''
);
CREATE INDEX events_user_id ON events (user_id, id);

-- +goose Down
DROP TABLE events;
DROP TABLE signing_keys;
DROP TABLE revocations;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE clients;
DROP TABLE users;
