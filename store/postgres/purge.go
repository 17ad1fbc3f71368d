package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

// purgeBatch bounds the rows one purge statement deletes. Each batch is
// its own short transaction, so no purge holds row locks, or the feed's
// bounds, for long (docs/operations.md).
const purgeBatch = 500

// Purge deletes sessions ended (expired, idle-expired or revoked) before
// sessionCutoff, with their refresh tokens, and feed entries whose
// ForgetAt is before now, in batches of at most purgeBatch rows, each
// batch one transaction (the feed's batches move its floor in the same
// transaction). Replicas purging at once do not queue: each batch is done
// by the replica that gets the purge lock; a replica that does not get it
// stops, returning what it removed so far and nil.
func (st *Store) Purge(ctx context.Context, now, sessionCutoff time.Time) (gatehouse.PurgeStats, error) {
	var stats gatehouse.PurgeStats
	for _, step := range []struct {
		count *int
		run   func(tx pgx.Tx) (int, error)
	}{
		{&stats.Sessions, func(tx pgx.Tx) (int, error) { return purgeSessions(ctx, tx, utc(sessionCutoff)) }},
		{&stats.Revocations, func(tx pgx.Tx) (int, error) { return purgeFeed(ctx, tx, utc(now)) }},
	} {
		for {
			n, locked, err := purgeBatchLocked(ctx, st, step.run)
			*step.count += n
			if err != nil {
				return stats, wrap("purge", err)
			}
			if !locked {
				return stats, nil
			}
			if n < purgeBatch {
				break
			}
		}
	}
	return stats, nil
}

// purgeBatchLocked runs one batch in a transaction holding the purge
// lock; locked is false if another replica holds it.
func purgeBatchLocked(ctx context.Context, st *Store, run func(tx pgx.Tx) (int, error)) (n int, locked bool, err error) {
	err = pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, tryLockPurge).Scan(&locked); err != nil || !locked {
			return err
		}
		n, err = run(tx)
		return err
	})
	if err != nil {
		return 0, locked, err
	}
	return n, locked, nil
}

func purgeSessions(ctx context.Context, tx pgx.Tx, cutoff time.Time) (int, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
		WHERE expires_at < $1 OR idle_expires_at < $1 OR revoked_at < $1 LIMIT $2)`, cutoff, purgeBatch)
	return int(tag.RowsAffected()), err
}

// purgeFeed deletes one batch of forgettable feed entries, the oldest
// forgettable first, and moves the floor.
func purgeFeed(ctx context.Context, tx pgx.Tx, now time.Time) (int, error) {
	var (
		n         int
		purgedMax *int64
	)
	if err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM revocations WHERE cursor IN
			(SELECT cursor FROM revocations WHERE forget_at < $1 ORDER BY forget_at LIMIT $2) RETURNING cursor)
		SELECT count(*), max(cursor) FROM d`, now, purgeBatch).Scan(&n, &purgedMax); err != nil || n == 0 {
		return 0, err
	}
	// Nothing below the lowest entry left is stored any more; with none
	// left, nothing up to the highest one removed is. An entry committed
	// meanwhile has a cursor above every one removed.
	_, err := tx.Exec(ctx, `UPDATE feed_bounds SET
		purged_max = GREATEST(purged_max, COALESCE($1, purged_max)),
		floor = GREATEST(floor, COALESCE((SELECT MIN(cursor) - 1 FROM revocations), $1, floor))
		WHERE id = 1`, purgedMax)
	return n, err
}

// PurgeEvents deletes the audit events recorded before before, in
// batches of at most purgeBatch rows, each its own transaction. Events
// are appended in time order, so those to go are the ones below the first
// event at or after before: found by one read from the oldest, then
// deleted by id ranges of the primary key (each still checked against
// before: an event committed late may have a lower id). Replicas doing it
// at once delete each event once.
func (st *Store) PurgeEvents(ctx context.Context, before time.Time) (int, error) {
	var keep *int64
	err := st.pool.QueryRow(ctx, `SELECT COALESCE(
		(SELECT id FROM events WHERE time >= $1 ORDER BY id LIMIT 1),
		(SELECT max(id) + 1 FROM events))`, utc(before)).Scan(&keep)
	if err != nil || keep == nil {
		return 0, wrap("purge events", err)
	}
	total := 0
	for {
		tag, err := st.pool.Exec(ctx, `DELETE FROM events WHERE id IN
			(SELECT id FROM events WHERE id < $1 AND time < $3 ORDER BY id LIMIT $2)`, *keep, purgeBatch, utc(before))
		total += int(tag.RowsAffected())
		if err != nil {
			return total, wrap("purge events", err)
		}
		if tag.RowsAffected() < purgeBatch {
			return total, nil
		}
	}
}

// DropSealedSuccessors forgets the sealed successors of tokens rotated
// before rotatedBefore.
func (st *Store) DropSealedSuccessors(ctx context.Context, rotatedBefore time.Time) (int, error) {
	tag, err := st.pool.Exec(ctx, `UPDATE refresh_tokens SET sealed_successor = NULL
		WHERE sealed_successor IS NOT NULL AND rotated_at < $1`, utc(rotatedBefore))
	if err != nil {
		return 0, wrap("drop sealed successors", err)
	}
	return int(tag.RowsAffected()), nil
}
