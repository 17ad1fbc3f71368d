package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
)

const sessionCols = `s.id, s.user_id, s.client_id, s.scopes, s.auth_time, s.created_at, s.last_used_at,
	s.idle_expires_at, s.expires_at, s.user_agent, s.ip, s.revoked_at, s.revoke_reason`

// returnedSessionCols are sessionCols in a RETURNING clause, which
// SQLite does not let name the table's alias.
var returnedSessionCols = strings.ReplaceAll(sessionCols, "s.", "")

// activeAt is the SQL condition that session s is active at the time bound
// to the parameter it names (gatehouse.Session.Active).
func activeAt(param string) string {
	return `(s.revoked_at IS NULL AND s.idle_expires_at > ` + param + ` AND s.expires_at > ` + param + `)`
}

// scanSession scans sessionCols, followed by extra destinations.
func scanSession(row scanner, extra ...any) (*gatehouse.Session, error) {
	var (
		s                                     gatehouse.Session
		scopes                                string
		auth, created, used, idleExp, expires int64
		revoked                               sql.NullInt64
	)
	dest := append([]any{&s.ID, &s.UserID, &s.ClientID, &scopes, &auth, &created, &used,
		&idleExp, &expires, &s.UserAgent, &s.IP, &revoked, &s.RevokeReason}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	s.Scopes = splitScopes(scopes)
	s.AuthTime, s.CreatedAt, s.LastUsedAt = fromMicros(auth), fromMicros(created), fromMicros(used)
	s.IdleExpiresAt, s.ExpiresAt, s.RevokedAt = fromMicros(idleExp), fromMicros(expires), fromNullMicros(revoked)
	return &s, nil
}

func scanSessionRow(row scanner) (*gatehouse.Session, error) { return scanSession(row) }

// CreateSession inserts s and its first refresh token in one transaction.
// ErrConflict on a duplicate id or hash.
func (st *Store) CreateSession(ctx context.Context, s *gatehouse.Session, first *gatehouse.RefreshToken) error {
	if first.SessionID != s.ID {
		return errors.New("sqlite: create session: first refresh token belongs to another session")
	}
	err := st.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, client_id, scopes, auth_time,
			created_at, last_used_at, idle_expires_at, expires_at, user_agent, ip, revoked_at, revoke_reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.UserID, s.ClientID, joinScopes(s.Scopes), micros(s.AuthTime), micros(s.CreatedAt),
			micros(s.LastUsedAt), micros(s.IdleExpiresAt), micros(s.ExpiresAt), s.UserAgent, s.IP,
			nullMicros(s.RevokedAt), s.RevokeReason)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refresh_tokens
			(hash, session_id, created_at, rotated_at, successor_hash, sealed_successor) VALUES (?, ?, ?, ?, ?, ?)`,
			first.Hash, s.ID, micros(first.CreatedAt), nullMicros(first.RotatedAt),
			first.SuccessorHash, first.SealedSuccessor)
		return err
	})
	return wrap("create session", err)
}

// Session returns the session (active or not) or ErrNotFound.
func (st *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	s, err := scanSession(st.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = ?`, id))
	return s, wrap("session", err)
}

// ListSessions returns the user's sessions active at now, most recently
// used first.
func (st *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]*gatehouse.Session, error) {
	rows, err := st.r.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions s
		WHERE s.user_id = ?1 AND `+activeAt("?2")+` ORDER BY s.last_used_at DESC, s.created_at DESC, s.id`,
		userID, micros(now))
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	ss, err := collect(rows, scanSessionRow)
	return ss, wrap("list sessions", err)
}

// SessionByRefreshHash returns the session a refresh token (live or
// rotated) belongs to, or ErrNotFound.
func (st *Store) SessionByRefreshHash(ctx context.Context, hash []byte) (*gatehouse.Session, error) {
	s, err := scanSession(st.r.QueryRowContext(ctx, `SELECT `+sessionCols+`
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = ?`, hash))
	return s, wrap("session by refresh hash", err)
}
