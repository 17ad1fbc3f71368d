package sqlite

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Feed entries are written by the single writer connection, one write
// transaction at a time, so cursors (AUTOINCREMENT) are committed in
// cursor order: a reader that has seen cursor n never later finds a new
// entry below n. AUTOINCREMENT never hands out a cursor twice, even after
// Purge deleted the newest entries.

// addToFeed is the insert of one feed entry. Revoking twice keeps one entry
// (and its cursor) and the later forget time, so a second revocation never
// shortens the first.
const addToFeed = `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (kind, value) DO UPDATE SET forget_at = MAX(revocations.forget_at, excluded.forget_at)`

// RevokeAccessToken adds a "jti" entry to the feed, forgettable at
// forgetAt. Revoking twice is not an error.
func (st *Store) RevokeAccessToken(ctx context.Context, jti string, at, forgetAt time.Time) error {
	err := st.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, addToFeed, gatehouse.RevokeJTI, jti, micros(at), micros(forgetAt))
		return err
	})
	return wrap("revoke access token", err)
}

// RevokeSession marks the session revoked (if it is not already: the first
// revocation's time and reason stay) and adds a "sid" entry to the feed,
// forgettable once the session's latest access token has expired, in one
// transaction. ErrNotFound if absent.
func (st *Store) RevokeSession(ctx context.Context, id, reason string, at time.Time) error {
	err := st.write(ctx, func(tx *wtx) error {
		var accessExp int64
		if err := tx.QueryRowContext(ctx, `SELECT access_expires_at FROM sessions WHERE id = ?`, id).Scan(&accessExp); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
			WHERE id = ? AND revoked_at IS NULL`, micros(at), reason, id); err != nil {
			return err
		}
		forget := gatehouse.ForgetAt(at, fromMicros(accessExp))
		_, err := tx.ExecContext(ctx, addToFeed, gatehouse.RevokeSID, id, micros(at), micros(forget))
		return err
	})
	return wrap("revoke session", err)
}

// IsRevoked reports whether the access token jti, or the session sid, has
// an entry in the feed. Either may be empty.
func (st *Store) IsRevoked(ctx context.Context, jti, sid string) (bool, error) {
	var revoked bool
	err := st.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM revocations
		WHERE (?1 <> '' AND kind = 'jti' AND value = ?1) OR (?2 <> '' AND kind = 'sid' AND value = ?2))`,
		jti, sid).Scan(&revoked)
	return revoked, wrap("is revoked", err)
}

// Revocations returns up to limit entries with Cursor > since, in cursor
// order, leaving out those whose ForgetAt is before now (an entry is kept
// until its ForgetAt has passed, as Purge keeps it). No entries when limit
// is not positive.
func (st *Store) Revocations(ctx context.Context, since int64, limit int, now time.Time) ([]gatehouse.Revocation, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := st.r.QueryContext(ctx, `SELECT cursor, kind, value, revoked_at, forget_at FROM revocations
		WHERE cursor > ? AND forget_at >= ? ORDER BY cursor LIMIT ?`, since, micros(now), limit)
	if err != nil {
		return nil, wrap("revocations", err)
	}
	rs, err := collect(rows, func(r scanner) (gatehouse.Revocation, error) {
		var (
			v          gatehouse.Revocation
			at, forget int64
		)
		err := r.Scan(&v.Cursor, &v.Kind, &v.Value, &at, &forget)
		v.Time, v.ForgetAt = fromMicros(at), fromMicros(forget)
		return v, err
	})
	return rs, wrap("revocations", err)
}
