package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse"
)

// rotateSQL rotates a live token in one statement (one implicit
// transaction), or writes nothing. It first locks the session's row, if the
// token is live, the session bound to client $10 and active at $2, and its
// user enabled and in the session's epoch (what gatehouse.DecideRotation
// calls live): whatever ends the session (RevokeSession, an epoch move,
// DeleteUser, Purge) writes that row too, so it either waits for this
// statement, or this statement waits for it and, re-checking the committed
// row under READ COMMITTED, finds the session ended and writes nothing.
// Holding the lock, the rest cannot be undone half-way: the UPDATE of the
// token decides the winner (a concurrent rotation of the same token waits
// for the row, re-checks "rotated_at IS NULL" on the committed row, and
// matches nothing); the successor is inserted only for the winner, and the
// partial unique index refresh_tokens_one_live would refuse a second live
// token anyway. The retired tokens older than the one rotated are deleted
// (a session keeps two rows; sessions from before families keep theirs,
// their only way to recognise reuse), and the session moves on.
var rotateSQL = `WITH
	sess AS (
		SELECT s.id, s.family_hash IS NOT NULL AS prune
		FROM refresh_tokens l
		JOIN sessions s ON s.id = l.session_id
		JOIN users u ON u.id = s.user_id
		WHERE l.hash = $1 AND l.rotated_at IS NULL AND s.client_id = $10 AND ` + activeAt("$2") + ` AND ` + userValid + `
		FOR UPDATE OF s),
	rot AS (
		UPDATE refresh_tokens t SET rotated_at = $2, successor_hash = $3, sealed_successor = $4
		FROM sess
		WHERE t.hash = $1 AND t.rotated_at IS NULL AND t.session_id = sess.id
		RETURNING t.session_id, sess.prune),
	ins AS (
		INSERT INTO refresh_tokens (hash, session_id, created_at)
		SELECT $3, session_id, $5 FROM rot
		RETURNING session_id),
	del AS (
		DELETE FROM refresh_tokens d USING rot
		WHERE rot.prune AND d.session_id = rot.session_id AND d.rotated_at IS NOT NULL AND d.hash <> $1),
	upd AS (
		UPDATE sessions s SET last_used_at = $2, idle_expires_at = LEAST($2 + $6::interval, s.expires_at),
			last_ip = $7, last_user_agent = $8, access_expires_at = GREATEST(s.access_expires_at, $9)
		FROM ins
		WHERE s.id = ins.session_id
		RETURNING ` + sessionCols + `)
	SELECT upd.*, ` + prefixedUserCols + ` FROM upd JOIN users u ON u.id = upd.user_id`

// stateSQL reads what a caller that did not rotate needs to tell a retry
// from reuse (gatehouse.RefreshState).
var stateSQL = `SELECT ` + sessionCols + `, ` + prefixedUserCols + `, t.rotated_at, t.sealed_successor,
		(n.hash IS NOT NULL AND n.rotated_at IS NULL)
	FROM refresh_tokens t
	JOIN sessions s ON s.id = t.session_id
	LEFT JOIN users u ON u.id = s.user_id
	LEFT JOIN refresh_tokens n ON n.hash = t.successor_hash
	WHERE t.hash = $1`

// RotateRefreshToken replaces the live refresh token r.OldHash by r.Next,
// atomically and safely across processes; see gatehouse.SessionStore for
// the outcomes. Nothing is written unless this call is the one that
// rotates; a call that does not rotate reads the state and
// gatehouse.DecideRotation tells what it is.
func (st *Store) RotateRefreshToken(ctx context.Context, r *gatehouse.Rotation) (*gatehouse.RotationResult, error) {
	now := utc(r.Now)
	// A token that is live at the second read but was not rotated by the
	// first statement was committed in between; one more round settles it.
	for range 3 {
		var winner userDest
		s, err := scanSession(st.pool.QueryRow(ctx, rotateSQL, r.OldHash, now, r.Next.Hash, r.SealedNext,
			utc(r.Next.CreatedAt), r.IdleTTL, r.IP, r.UserAgent, utc(r.AccessExpiresAt), r.ClientID), winner.dest()...)
		if err == nil {
			u, err := winner.user()
			if err != nil {
				return nil, wrap("rotate refresh token", err)
			}
			return &gatehouse.RotationResult{Session: s, User: u}, nil
		}
		if err = wrap("rotate refresh token", err); !errors.Is(err, gatehouse.ErrNotFound) {
			return nil, err
		}

		var (
			u             userDest
			rotated       *time.Time
			sealed        []byte
			successorLive bool
		)
		s, err = scanSession(st.pool.QueryRow(ctx, stateSQL, r.OldHash), append(u.dest(), &rotated, &sealed, &successorLive)...)
		if err != nil {
			return nil, wrap("rotate refresh token", err)
		}
		user, err := u.user()
		if err != nil {
			return nil, wrap("rotate refresh token", err)
		}
		state := gatehouse.RefreshState{Session: s, User: user, RotatedAt: fromNull(rotated),
			SuccessorLive: successorLive, SealedSuccessor: sealed}
		switch gatehouse.DecideRotation(state, r.ClientID, now, r.Grace) {
		case gatehouse.OutcomeWrongClient:
			return nil, fmt.Errorf("postgres: rotate refresh token: %w", gatehouse.ErrWrongClient)
		case gatehouse.OutcomeEnded:
			return nil, fmt.Errorf("postgres: rotate refresh token: %w", gatehouse.ErrSessionEnded)
		case gatehouse.OutcomeLive:
			continue
		case gatehouse.OutcomeRetry:
			return &gatehouse.RotationResult{Session: s, User: user, Retry: true, SealedSuccessor: sealed}, nil
		default:
			return &gatehouse.RotationResult{Session: s},
				fmt.Errorf("postgres: rotate refresh token: %w", gatehouse.ErrTokenReused)
		}
	}
	// Fail closed: a token that neither rotates nor reads as rotated is
	// not handed a successor.
	return nil, fmt.Errorf("postgres: rotate refresh token: token did not settle: %w", gatehouse.ErrSessionEnded)
}
