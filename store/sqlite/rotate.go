package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse"
)

// rotateSQL marks the old token rotated if, and only if, it is live, its
// session bound to client ?5 and active at ?2, and its user enabled and in
// the session's epoch (what gatehouse.DecideRotation calls live). It
// is the statement that decides the winner: of any number of concurrent
// rotations of one token, in any number of processes, exactly one finds
// rotated_at NULL.
var rotateSQL = `UPDATE refresh_tokens SET rotated_at = ?2, successor_hash = ?3, sealed_successor = ?4
	WHERE hash = ?1 AND rotated_at IS NULL
	AND EXISTS (SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = refresh_tokens.session_id AND s.client_id = ?5 AND ` + activeAt("?2") + ` AND ` + userValid + `)
	RETURNING session_id`

// pruneSQL deletes the retired tokens of the session older than the one
// just rotated: a session keeps its live token and the one it replaced.
// Their reuse is still recognised by the family every token carries;
// sessions from before families keep their rows, which are their only way
// to recognise reuse.
const pruneSQL = `DELETE FROM refresh_tokens WHERE session_id = ?1 AND rotated_at IS NOT NULL AND hash <> ?2
	AND EXISTS (SELECT 1 FROM sessions WHERE id = ?1 AND family_hash IS NOT NULL)`

// slideSQL records the use of the session, slides its idle expiry (never
// past its absolute end) and keeps the latest access-token expiry.
var slideSQL = `UPDATE sessions AS s SET last_used_at = ?2, idle_expires_at = MIN(?3, s.expires_at),
	last_ip = ?4, last_user_agent = ?5, access_expires_at = MAX(s.access_expires_at, ?6)
	WHERE s.id = ?1 RETURNING ` + returnedSessionCols

// stateSQL reads what a caller that did not rotate needs to tell a retry
// from reuse (gatehouse.RefreshState).
var stateSQL = `SELECT ` + sessionCols + `, ` + prefixedUserCols + `, t.rotated_at, t.sealed_successor,
		(n.hash IS NOT NULL AND n.rotated_at IS NULL)
	FROM refresh_tokens t
	JOIN sessions s ON s.id = t.session_id
	LEFT JOIN users u ON u.id = s.user_id
	LEFT JOIN refresh_tokens n ON n.hash = t.successor_hash
	WHERE t.hash = ?`

// RotateRefreshToken replaces the live refresh token r.OldHash by r.Next in
// one write transaction; see gatehouse.SessionStore for the outcomes. The
// conditional UPDATE decides; a caller that loses reads the state in the
// same transaction, under the write lock, so the state cannot change
// between the UPDATE and the read, and gatehouse.DecideRotation tells what
// it is. Nothing is written unless this call rotates.
func (st *Store) RotateRefreshToken(ctx context.Context, r *gatehouse.Rotation) (*gatehouse.RotationResult, error) {
	now := micros(r.Now)
	var (
		res     *gatehouse.RotationResult
		outcome error
	)
	err := st.write(ctx, func(tx *wtx) error {
		var sid string
		err := tx.QueryRowContext(ctx, rotateSQL, r.OldHash, now, r.Next.Hash, r.SealedNext, r.ClientID).Scan(&sid)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)`,
				r.Next.Hash, sid, micros(r.Next.CreatedAt)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, pruneSQL, sid, r.OldHash); err != nil {
				return err
			}
			s, err := scanSession(tx.QueryRowContext(ctx, slideSQL, sid, now, micros(r.Now.Add(r.IdleTTL)),
				r.IP, r.UserAgent, micros(r.AccessExpiresAt)))
			if err != nil {
				return err
			}
			// The user the new access token speaks for, read under the
			// write lock that decided the rotation (rotateSQL checked it).
			u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, s.UserID))
			if err != nil {
				return err
			}
			res = &gatehouse.RotationResult{Session: s, User: u}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}

		var (
			u             userDest
			rotated       sql.NullInt64
			sealed        []byte
			successorLive bool
		)
		s, err := scanSession(tx.QueryRowContext(ctx, stateSQL, r.OldHash), append(u.dest(), &rotated, &sealed, &successorLive)...)
		if err != nil {
			return err
		}
		user, err := u.user()
		if err != nil {
			return err
		}
		state := gatehouse.RefreshState{Session: s, User: user, RotatedAt: fromNullMicros(rotated),
			SuccessorLive: successorLive, SealedSuccessor: sealed}
		switch gatehouse.DecideRotation(state, r.ClientID, r.Now, r.Grace) {
		case gatehouse.OutcomeWrongClient:
			outcome = gatehouse.ErrWrongClient
		case gatehouse.OutcomeEnded:
			outcome = gatehouse.ErrSessionEnded
		case gatehouse.OutcomeLive:
			// Live token, valid session, and yet the UPDATE did not match
			// under the write lock: fail closed rather than hand out anything.
			return errors.New("live token of a valid session did not rotate")
		case gatehouse.OutcomeRetry:
			res = &gatehouse.RotationResult{Session: s, User: user, Retry: true, SealedSuccessor: sealed}
		default:
			res, outcome = &gatehouse.RotationResult{Session: s}, gatehouse.ErrTokenReused
		}
		return nil
	})
	if err != nil {
		return nil, wrap("rotate refresh token", err)
	}
	if outcome != nil {
		if res == nil {
			return nil, fmt.Errorf("sqlite: rotate refresh token: %w", outcome)
		}
		return res, fmt.Errorf("sqlite: rotate refresh token: %w", outcome)
	}
	return res, nil
}
