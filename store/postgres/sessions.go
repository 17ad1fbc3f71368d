package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const sessionCols = `s.id, s.user_id, s.client_id, s.scopes, s.auth_time, s.created_at, s.last_used_at,
	s.idle_expires_at, s.expires_at, s.user_agent, s.ip, s.last_user_agent, s.last_ip, s.revoked_at, s.revoke_reason,
	s.epoch, s.family_hash, s.access_expires_at`

// activeAt is the SQL condition that session s is active at the time $n.
func activeAt(n string) string {
	return `(s.revoked_at IS NULL AND s.idle_expires_at > ` + n + ` AND s.expires_at > ` + n + `)`
}

// userValid is the SQL condition that the user u of session s is enabled
// and in the session's epoch (with activeAt, the rows form of
// gatehouse.SessionValid).
const userValid = `(NOT u.disabled AND u.epoch = s.epoch)`

// scanSession scans sessionCols, followed by extra destinations.
func scanSession(row pgx.Row, extra ...any) (*gatehouse.Session, error) {
	var (
		s       gatehouse.Session
		scopes  string
		revoked *time.Time
	)
	dest := append([]any{&s.ID, &s.UserID, &s.ClientID, &scopes, &s.AuthTime, &s.CreatedAt, &s.LastUsedAt,
		&s.IdleExpiresAt, &s.ExpiresAt, &s.UserAgent, &s.IP, &s.LastUserAgent, &s.LastIP, &revoked, &s.RevokeReason,
		&s.Epoch, &s.FamilyHash, &s.AccessExpiresAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	s.Scopes = splitScopes(scopes)
	s.AuthTime, s.CreatedAt, s.LastUsedAt = utc(s.AuthTime), utc(s.CreatedAt), utc(s.LastUsedAt)
	s.IdleExpiresAt, s.ExpiresAt, s.RevokedAt = utc(s.IdleExpiresAt), utc(s.ExpiresAt), fromNull(revoked)
	s.Epoch, s.AccessExpiresAt = utc(s.Epoch), utc(s.AccessExpiresAt)
	return &s, nil
}

// CreateSession inserts s and its first refresh token in one statement, if
// the user is still enabled and in epoch s.Epoch (ErrStale otherwise). The
// user's row is read FOR SHARE: an UpdateUser moving the epoch (which holds
// the row FOR UPDATE) either commits first, and this statement re-reads the
// row and creates nothing, or waits for this statement and then ends the
// session it created. ErrConflict on a duplicate id, hash or family.
func (st *Store) CreateSession(ctx context.Context, s *gatehouse.Session, first *gatehouse.RefreshToken) error {
	if first.SessionID != s.ID {
		return errors.New("postgres: create session: first refresh token belongs to another session")
	}
	var created bool
	err := st.pool.QueryRow(ctx, `WITH
		u AS (SELECT id FROM users WHERE id = $2 AND NOT disabled AND epoch = $14 FOR SHARE),
		s AS (
			INSERT INTO sessions (id, user_id, client_id, scopes, auth_time, created_at, last_used_at,
				idle_expires_at, expires_at, user_agent, ip, last_user_agent, last_ip, revoked_at, revoke_reason,
				epoch, family_hash, access_expires_at)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $11, $12, $13, $14, $15, $16 FROM u
			RETURNING id),
		t AS (
			INSERT INTO refresh_tokens (hash, session_id, created_at, rotated_at, successor_hash, sealed_successor)
			SELECT $17, id, $18, $19, $20, $21 FROM s)
		SELECT EXISTS (SELECT 1 FROM s)`,
		s.ID, s.UserID, s.ClientID, joinScopes(s.Scopes), utc(s.AuthTime), utc(s.CreatedAt), utc(s.LastUsedAt),
		utc(s.IdleExpiresAt), utc(s.ExpiresAt), s.UserAgent, s.IP, nullTime(s.RevokedAt), s.RevokeReason,
		utc(s.Epoch), s.FamilyHash, utc(s.AccessExpiresAt),
		first.Hash, utc(first.CreatedAt), nullTime(first.RotatedAt), first.SuccessorHash, first.SealedSuccessor).Scan(&created)
	if err != nil {
		return wrap("create session", err)
	}
	if !created {
		return wrap("create session", gatehouse.ErrStale)
	}
	s.LastUserAgent, s.LastIP = s.UserAgent, s.IP
	return nil
}

// Session returns the session (active or not) or ErrNotFound.
func (st *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	s, err := scanSession(st.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = $1`, id))
	return s, wrap("session", err)
}

// TokenState reads the session, its user and whether jti and kid are
// revoked, in one statement.
func (st *Store) TokenState(ctx context.Context, sid, jti, kid string) (*gatehouse.TokenState, error) {
	var (
		u                   userDest
		jtiRevoked, kidGone bool
	)
	s, err := scanSession(st.pool.QueryRow(ctx, `SELECT `+sessionCols+`, `+prefixedUserCols+`,
		EXISTS (SELECT 1 FROM revocations WHERE $2 <> '' AND kind = 'jti' AND value = $2),
		EXISTS (SELECT 1 FROM revocations WHERE $3 <> '' AND kind = 'kid' AND value = $3)
		FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id = $1`, sid, jti, kid),
		append(u.dest(), &jtiRevoked, &kidGone)...)
	if err != nil {
		return nil, wrap("token state", err)
	}
	user, err := u.user()
	if err != nil {
		return nil, wrap("token state", err)
	}
	return &gatehouse.TokenState{Session: s, User: user, JTIRevoked: jtiRevoked, KIDRevoked: kidGone}, nil
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

// SessionByRefreshHash returns the session a stored refresh token (live or
// rotated) belongs to, or ErrNotFound.
func (st *Store) SessionByRefreshHash(ctx context.Context, hash []byte) (*gatehouse.Session, error) {
	s, err := scanSession(st.pool.QueryRow(ctx, `SELECT `+sessionCols+`
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = $1`, hash))
	return s, wrap("session by refresh hash", err)
}

// SessionByFamily returns the session of a refresh-token family, or
// ErrNotFound.
func (st *Store) SessionByFamily(ctx context.Context, familyHash []byte) (*gatehouse.Session, error) {
	if len(familyHash) == 0 {
		return nil, wrap("session by family", pgx.ErrNoRows)
	}
	s, err := scanSession(st.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.family_hash = $1`, familyHash))
	return s, wrap("session by family", err)
}
