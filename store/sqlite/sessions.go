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
	s.idle_expires_at, s.expires_at, s.user_agent, s.ip, s.last_user_agent, s.last_ip, s.revoked_at, s.revoke_reason,
	s.epoch, s.family_hash, s.access_expires_at`

// returnedSessionCols are sessionCols in a RETURNING clause, which
// SQLite does not let name the table's alias.
var returnedSessionCols = strings.ReplaceAll(sessionCols, "s.", "")

// prefixedUserCols are userCols of the users table joined as u.
var prefixedUserCols = "u." + strings.ReplaceAll(userCols, ", ", ", u.")

// activeAt is the SQL condition that session s is active at the time bound
// to the parameter it names (gatehouse.Session.Active).
func activeAt(param string) string {
	return `(s.revoked_at IS NULL AND s.idle_expires_at > ` + param + ` AND s.expires_at > ` + param + `)`
}

// userValid is the SQL condition that the user u of session s exists, is
// enabled and is in the session's epoch (with activeAt, the rows form of
// gatehouse.SessionValid).
const userValid = `(u.disabled = 0 AND u.epoch = s.epoch)`

// scanSession scans sessionCols, followed by extra destinations.
func scanSession(row scanner, extra ...any) (*gatehouse.Session, error) {
	var (
		s                                            gatehouse.Session
		scopes                                       string
		auth, created, used, idleExp, expires, epoch int64
		accessExp                                    int64
		revoked                                      sql.NullInt64
	)
	dest := append([]any{&s.ID, &s.UserID, &s.ClientID, &scopes, &auth, &created, &used,
		&idleExp, &expires, &s.UserAgent, &s.IP, &s.LastUserAgent, &s.LastIP, &revoked, &s.RevokeReason,
		&epoch, &s.FamilyHash, &accessExp}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	s.Scopes = splitScopes(scopes)
	s.AuthTime, s.CreatedAt, s.LastUsedAt = fromMicros(auth), fromMicros(created), fromMicros(used)
	s.IdleExpiresAt, s.ExpiresAt, s.RevokedAt = fromMicros(idleExp), fromMicros(expires), fromNullMicros(revoked)
	s.Epoch, s.AccessExpiresAt = fromMicros(epoch), fromMicros(accessExp)
	return &s, nil
}

func scanSessionRow(row scanner) (*gatehouse.Session, error) { return scanSession(row) }

// createSessionSQL inserts a session only while its user is enabled and in
// the epoch the login was decided under.
const createSessionSQL = `INSERT INTO sessions (id, user_id, client_id, scopes, auth_time, created_at, last_used_at,
	idle_expires_at, expires_at, user_agent, ip, last_user_agent, last_ip, revoked_at, revoke_reason,
	epoch, family_hash, access_expires_at)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?11, ?12, ?13, ?14, ?15, ?16
	WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2 AND disabled = 0 AND epoch = ?14)`

// CreateSession inserts s and its first refresh token in one transaction,
// if the user is still enabled and in epoch s.Epoch (ErrStale otherwise).
// ErrConflict on a duplicate id, hash or family.
func (st *Store) CreateSession(ctx context.Context, s *gatehouse.Session, first *gatehouse.RefreshToken) error {
	if first.SessionID != s.ID {
		return errors.New("sqlite: create session: first refresh token belongs to another session")
	}
	err := st.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, createSessionSQL,
			s.ID, s.UserID, s.ClientID, joinScopes(s.Scopes), micros(s.AuthTime), micros(s.CreatedAt),
			micros(s.LastUsedAt), micros(s.IdleExpiresAt), micros(s.ExpiresAt), s.UserAgent, s.IP,
			nullMicros(s.RevokedAt), s.RevokeReason, micros(s.Epoch), s.FamilyHash, micros(s.AccessExpiresAt))
		if err := affected(res, err); errors.Is(err, sql.ErrNoRows) {
			return gatehouse.ErrStale
		} else if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO refresh_tokens
			(hash, session_id, created_at, rotated_at, successor_hash, sealed_successor) VALUES (?, ?, ?, ?, ?, ?)`,
			first.Hash, s.ID, micros(first.CreatedAt), nullMicros(first.RotatedAt),
			first.SuccessorHash, first.SealedSuccessor)
		return err
	})
	if err == nil {
		s.LastUserAgent, s.LastIP = s.UserAgent, s.IP
	}
	return wrap("create session", err)
}

// Session returns the session (active or not) or ErrNotFound.
func (st *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	s, err := scanSession(st.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = ?`, id))
	return s, wrap("session", err)
}

// TokenState reads the session, its user and whether jti and kid are
// revoked, in one statement.
func (st *Store) TokenState(ctx context.Context, sid, jti, kid string) (*gatehouse.TokenState, error) {
	var (
		u                   userDest
		jtiRevoked, kidGone bool
	)
	extra := append(u.dest(), &jtiRevoked, &kidGone)
	s, err := scanSession(st.r.QueryRowContext(ctx, `SELECT `+sessionCols+`, `+prefixedUserCols+`,
		EXISTS (SELECT 1 FROM revocations WHERE ?2 <> '' AND kind = 'jti' AND value = ?2),
		EXISTS (SELECT 1 FROM revocations WHERE ?3 <> '' AND kind = 'kid' AND value = ?3)
		FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id = ?1`, sid, jti, kid), extra...)
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
	rows, err := st.r.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions s
		WHERE s.user_id = ?1 AND `+activeAt("?2")+` ORDER BY s.last_used_at DESC, s.created_at DESC, s.id`,
		userID, micros(now))
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	ss, err := collect(rows, scanSessionRow)
	return ss, wrap("list sessions", err)
}

// SessionByRefreshHash returns the session a stored refresh token (live or
// rotated) belongs to, or ErrNotFound.
func (st *Store) SessionByRefreshHash(ctx context.Context, hash []byte) (*gatehouse.Session, error) {
	s, err := scanSession(st.r.QueryRowContext(ctx, `SELECT `+sessionCols+`
		FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = ?`, hash))
	return s, wrap("session by refresh hash", err)
}

// SessionByFamily returns the session of a refresh-token family, or
// ErrNotFound.
func (st *Store) SessionByFamily(ctx context.Context, familyHash []byte) (*gatehouse.Session, error) {
	if len(familyHash) == 0 {
		return nil, wrap("session by family", sql.ErrNoRows)
	}
	s, err := scanSession(st.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.family_hash = ?`, familyHash))
	return s, wrap("session by family", err)
}
