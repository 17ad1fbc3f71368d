package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse"
)

// rotateSQL rotates a live token in one statement (one implicit
// transaction). Its first UPDATE decides the winner: under READ COMMITTED a
// concurrent rotation of the same token waits for the row lock, re-checks
// "rotated_at IS NULL" on the committed row, and matches nothing. The
// successor is inserted only for the winner, and the partial unique index
// refresh_tokens_one_live would refuse a second live token anyway. The
// session's idle expiry slides only if the session is still active when its
// row is written; otherwise the statement returns no row and the caller
// finds the session ended.
var rotateSQL = `WITH
	rot AS (
		UPDATE refresh_tokens t SET rotated_at = $2, successor_hash = $3, sealed_successor = $4
		FROM sessions s
		WHERE t.hash = $1 AND t.rotated_at IS NULL AND s.id = t.session_id AND ` + activeAt("$2") + `
		RETURNING t.session_id),
	ins AS (
		INSERT INTO refresh_tokens (hash, session_id, created_at)
		SELECT $3, session_id, $5 FROM rot
		RETURNING session_id),
	upd AS (
		UPDATE sessions s SET last_used_at = $2, idle_expires_at = LEAST($2 + $6::interval, s.expires_at)
		FROM ins
		WHERE s.id = ins.session_id AND ` + activeAt("$2") + `
		RETURNING ` + sessionCols + `)
	SELECT * FROM upd`

// stateSQL reads what a caller that did not rotate needs to tell a retry
// from reuse: the token's rotation, its sealed successor, whether that
// successor is still live, and the session.
var stateSQL = `SELECT ` + sessionCols + `, t.rotated_at, t.sealed_successor,
		(n.hash IS NOT NULL AND n.rotated_at IS NULL)
	FROM refresh_tokens t
	JOIN sessions s ON s.id = t.session_id
	LEFT JOIN refresh_tokens n ON n.hash = t.successor_hash
	WHERE t.hash = $1`

// RotateRefreshToken replaces the live refresh token r.OldHash by r.Next,
// atomically and safely across processes; see gatehouse.SessionStore for
// the outcomes. Nothing is written unless this call is the one that
// rotates. Errors: ErrNotFound, ErrSessionEnded, ErrTokenReused (with the
// result's Session filled in), ErrConflict if r.Next.Hash exists.
func (st *Store) RotateRefreshToken(ctx context.Context, r *gatehouse.Rotation) (*gatehouse.RotationResult, error) {
	now := utc(r.Now)
	// A token that is live at the second read but was not rotated by the
	// first statement was committed in between; one more round settles it.
	for range 3 {
		s, err := scanSession(st.pool.QueryRow(ctx, rotateSQL, r.OldHash, now, r.Next.Hash, r.SealedNext,
			utc(r.Next.CreatedAt), r.IdleTTL))
		if err == nil {
			return &gatehouse.RotationResult{Session: s}, nil
		}
		if err = wrap("rotate refresh token", err); !errors.Is(err, gatehouse.ErrNotFound) {
			return nil, err
		}

		var (
			rotated       *time.Time
			sealed        []byte
			successorLive bool
		)
		s, err = scanSession(st.pool.QueryRow(ctx, stateSQL, r.OldHash), &rotated, &sealed, &successorLive)
		if err != nil {
			return nil, wrap("rotate refresh token", err)
		}
		switch {
		case !s.Active(now):
			return nil, fmt.Errorf("postgres: rotate refresh token: %w", gatehouse.ErrSessionEnded)
		case rotated == nil:
			continue
		case now.Sub(*rotated) < r.Grace && successorLive:
			return &gatehouse.RotationResult{Session: s, Retry: true, SealedSuccessor: sealed}, nil
		default:
			return &gatehouse.RotationResult{Session: s},
				fmt.Errorf("postgres: rotate refresh token: %w", gatehouse.ErrTokenReused)
		}
	}
	// Fail closed: a token that neither rotates nor reads as rotated is
	// not handed a successor.
	return nil, fmt.Errorf("postgres: rotate refresh token: token did not settle: %w", gatehouse.ErrSessionEnded)
}
