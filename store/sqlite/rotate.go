package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse/gatehouse"
)

// rotateSQL marks the old token rotated if, and only if, it is live and its
// session active at ?2. It is the statement that decides the winner: of any
// number of concurrent rotations of one token, in any number of processes,
// exactly one finds rotated_at NULL.
var rotateSQL = `UPDATE refresh_tokens SET rotated_at = ?2, successor_hash = ?3, sealed_successor = ?4
	WHERE hash = ?1 AND rotated_at IS NULL
	AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = refresh_tokens.session_id AND ` + activeAt("?2") + `)
	RETURNING session_id`

// slideSQL records the use of the session and slides its idle expiry,
// never past its absolute end.
var slideSQL = `UPDATE sessions AS s SET last_used_at = ?2, idle_expires_at = MIN(?3, s.expires_at)
	WHERE s.id = ?1 RETURNING ` + returnedSessionCols

// stateSQL reads what a caller that did not rotate needs to tell a retry
// from reuse: the session, the token's rotation time, its sealed successor
// and whether that successor is still live.
var stateSQL = `SELECT ` + sessionCols + `, t.rotated_at, t.sealed_successor,
		(n.hash IS NOT NULL AND n.rotated_at IS NULL)
	FROM refresh_tokens t
	JOIN sessions s ON s.id = t.session_id
	LEFT JOIN refresh_tokens n ON n.hash = t.successor_hash
	WHERE t.hash = ?`

// RotateRefreshToken replaces the live refresh token r.OldHash by r.Next in
// one write transaction; see gatehouse.SessionStore for the outcomes. The
// conditional UPDATE decides; a caller that loses reads the state in the
// same transaction, under the write lock, so the state cannot change
// between the UPDATE and the read. Nothing is written unless this call
// rotates. Errors: ErrNotFound, ErrSessionEnded (which takes precedence
// over reuse), ErrTokenReused (with the result's Session filled in),
// ErrConflict if r.Next.Hash exists.
func (st *Store) RotateRefreshToken(ctx context.Context, r *gatehouse.Rotation) (*gatehouse.RotationResult, error) {
	now := micros(r.Now)
	var (
		res     *gatehouse.RotationResult
		outcome error
	)
	err := st.write(ctx, func(tx *sql.Tx) error {
		var sid string
		err := tx.QueryRowContext(ctx, rotateSQL, r.OldHash, now, r.Next.Hash, r.SealedNext).Scan(&sid)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)`,
				r.Next.Hash, sid, micros(r.Next.CreatedAt)); err != nil {
				return err
			}
			s, err := scanSession(tx.QueryRowContext(ctx, slideSQL, sid, now, micros(r.Now.Add(r.IdleTTL))))
			if err != nil {
				return err
			}
			res = &gatehouse.RotationResult{Session: s}
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}

		var (
			rotated       sql.NullInt64
			sealed        []byte
			successorLive bool
		)
		s, err := scanSession(tx.QueryRowContext(ctx, stateSQL, r.OldHash), &rotated, &sealed, &successorLive)
		if err != nil {
			return err
		}
		switch {
		case !s.Active(fromMicros(now)):
			outcome = gatehouse.ErrSessionEnded
		case !rotated.Valid:
			// Live token, active session, and yet the UPDATE did not match:
			// fail closed rather than hand out anything.
			return errors.New("live token of an active session did not rotate")
		case fromMicros(now).Sub(fromMicros(rotated.Int64)) < r.Grace && successorLive:
			res = &gatehouse.RotationResult{Session: s, Retry: true, SealedSuccessor: sealed}
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
