package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

// Feed entries are written inside a transaction that first takes lockFeed,
// so that cursors (an identity column) are committed in cursor order: a
// reader that has seen cursor n never later finds a new entry below n.

// addToFeed is the insert of one feed entry. Revoking twice keeps one entry
// and the later forget time, so a second revocation never shortens the
// first.
const addToFeed = `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (kind, value) DO UPDATE SET forget_at = GREATEST(revocations.forget_at, excluded.forget_at)`

// RevokeAccessToken adds a "jti" entry to the feed, forgettable at
// forgetAt. Revoking twice is not an error.
func (st *Store) RevokeAccessToken(ctx context.Context, jti string, at, forgetAt time.Time) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockFeed); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, addToFeed, gatehouse.RevokeJTI, jti, utc(at), utc(forgetAt))
		return err
	})
	return wrap("revoke access token", err)
}

// RevokeSession marks the session revoked (if it is not already) and adds a
// "sid" entry to the feed, forgettable once the session's latest access
// token has expired, in one transaction. ErrNotFound if absent.
//
// The UPDATE writes the row even when the session is already revoked (it
// keeps the first revocation's time and reason): so it always holds the
// row lock and RETURNING gives the committed access_expires_at, including
// one moved by a rotation that committed while this statement waited for
// the row. A read beside the UPDATE would see the statement's snapshot and
// could miss it, making the entry forgettable before that access token
// expires.
func (st *Store) RevokeSession(ctx context.Context, id, reason string, at time.Time) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockFeed); err != nil {
			return err
		}
		var accessExp time.Time
		err := tx.QueryRow(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, $2),
			revoke_reason = CASE WHEN revoked_at IS NULL THEN $3 ELSE revoke_reason END
			WHERE id = $1 RETURNING access_expires_at`, id, utc(at), reason).Scan(&accessExp)
		if err != nil {
			return err
		}
		forget := gatehouse.ForgetAt(at, accessExp)
		_, err = tx.Exec(ctx, addToFeed, gatehouse.RevokeSID, id, utc(at), utc(forget))
		return err
	})
	return wrap("revoke session", err)
}

// IsRevoked reports whether the access token jti, or the session sid, has
// an entry in the feed. Either may be empty.
func (st *Store) IsRevoked(ctx context.Context, jti, sid string) (bool, error) {
	var revoked bool
	err := st.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revocations
		WHERE ($1 <> '' AND kind = 'jti' AND value = $1) OR ($2 <> '' AND kind = 'sid' AND value = $2))`,
		jti, sid).Scan(&revoked)
	return revoked, wrap("is revoked", err)
}

// Revocations returns up to limit entries with Cursor > since, in cursor
// order, leaving out those whose ForgetAt is before now.
func (st *Store) Revocations(ctx context.Context, since int64, limit int, now time.Time) ([]gatehouse.Revocation, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := st.pool.Query(ctx, `SELECT cursor, kind, value, revoked_at, forget_at FROM revocations
		WHERE cursor > $1 AND forget_at >= $3 ORDER BY cursor LIMIT $2`, since, limit, utc(now))
	if err != nil {
		return nil, wrap("revocations", err)
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gatehouse.Revocation, error) {
		var v gatehouse.Revocation
		err := r.Scan(&v.Cursor, &v.Kind, &v.Value, &v.Time, &v.ForgetAt)
		v.Time, v.ForgetAt = utc(v.Time), utc(v.ForgetAt)
		return v, err
	})
	return rs, wrap("revocations", err)
}
