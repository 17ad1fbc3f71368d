package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const sessionCols = `s.id, s.user_id, s.client_id, s.scopes, s.auth_time, s.created_at, s.last_used_at,
	s.idle_expires_at, s.expires_at, s.user_agent, s.ip, s.revoked_at, s.revoke_reason`

// activeAt is the SQL condition that session s is active at the time $n.
func activeAt(n string) string {
	return `(s.revoked_at IS NULL AND s.idle_expires_at > ` + n + ` AND s.expires_at > ` + n + `)`
}

// scanSession scans sessionCols, followed by extra destinations.
func scanSession(row pgx.Row, extra ...any) (*gatehouse.Session, error) {
	var (
		s       gatehouse.Session
		scopes  string
		revoked *time.Time
	)
	dest := append([]any{&s.ID, &s.UserID, &s.ClientID, &scopes, &s.AuthTime, &s.CreatedAt, &s.LastUsedAt,
		&s.IdleExpiresAt, &s.ExpiresAt, &s.UserAgent, &s.IP, &revoked, &s.RevokeReason}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	s.Scopes = splitScopes(scopes)
	s.AuthTime, s.CreatedAt, s.LastUsedAt = utc(s.AuthTime), utc(s.CreatedAt), utc(s.LastUsedAt)
	s.IdleExpiresAt, s.ExpiresAt, s.RevokedAt = utc(s.IdleExpiresAt), utc(s.ExpiresAt), fromNull(revoked)
	return &s, nil
}

// CreateSession inserts s and its first refresh token in one statement.
// ErrConflict on a duplicate id or hash.
func (st *Store) CreateSession(ctx context.Context, s *gatehouse.Session, first *gatehouse.RefreshToken) error {
	if first.SessionID != s.ID {
		return errors.New("postgres: create session: first refresh token belongs to another session")
	}
	_, err := st.pool.Exec(ctx, `WITH s AS (
		INSERT INTO sessions (id, user_id, client_id, scopes, auth_time, created_at, last_used_at,
			idle_expires_at, expires_at, user_agent, ip, revoked_at, revoke_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id)
		INSERT INTO refresh_tokens (hash, session_id, created_at, rotated_at, successor_hash, sealed_successor)
		SELECT $14, id, $15, $16, $17, $18 FROM s`,
		s.ID, s.UserID, s.ClientID, joinScopes(s.Scopes), utc(s.AuthTime), utc(s.CreatedAt), utc(s.LastUsedAt),
		utc(s.IdleExpiresAt), utc(s.ExpiresAt), s.UserAgent, s.IP, nullTime(s.RevokedAt), s.RevokeReason,
		first.Hash, utc(first.CreatedAt), nullTime(first.RotatedAt), first.SuccessorHash, first.SealedSuccessor)
	return wrap("create session", err)
}

// Session returns the session (active or not) or ErrNotFound.
func (st *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	s, err := scanSession(st.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = $1`, id))
	return s, wrap("session", err)
}

// ListSessions returns the user's sessions active at now, most recently
// used first.
func (st *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]*gatehouse.Session, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions s
		WHERE s.user_id = $1 AND `+activeAt("$2")+` ORDER BY s.last_used_at DESC, s.created_at DESC, s.id`,
		userID, utc(now))
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	ss, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.Session, error) { return scanSession(r) })
	return ss, wrap("list sessions", err)
}

// SessionByRefreshHash returns the session a refresh token (live or
// rotated) belongs to, or ErrNotFound.
func (st *Store) SessionByRefreshHash(ctx context.Context, hash []byte) (*gatehouse.Session, error) {
	s, err := scanSession(st.pool.QueryRow(ctx, `SELECT `+sessionCols+`
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = $1`, hash))
	return s, wrap("session by refresh hash", err)
}
