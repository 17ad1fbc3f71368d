package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
)

// purgeBatch bounds the rows one purge statement deletes. Each batch is
// its own short write transaction, so a login or a refresh waits for one
// batch at most, never for the whole purge (docs/operations.md).
const purgeBatch = 500

// Purge deletes sessions ended (expired, idle-expired or revoked) before
// sessionCutoff, with their refresh tokens (ON DELETE CASCADE), and feed
// entries whose ForgetAt is before now, in batches of at most purgeBatch
// rows, each batch one write transaction that also moves the feed's floor.
// The sessions of a batch are picked by a read that takes no lock; the
// delete checks again that each has ended. Callers purging at once, in
// this process or others, run batch after batch; a later one finds less
// (or nothing) to delete and does not fail.
func (st *Store) Purge(ctx context.Context, now, sessionCutoff time.Time) (gatehouse.PurgeStats, error) {
	var stats gatehouse.PurgeStats
	for {
		n, err := st.purgeSessions(ctx, micros(sessionCutoff))
		stats.Sessions += n
		if err != nil {
			return stats, wrap("purge", err)
		}
		if n < purgeBatch {
			break
		}
	}
	for {
		n, err := st.purgeFeed(ctx, micros(now))
		stats.Revocations += n
		if err != nil {
			return stats, wrap("purge", err)
		}
		if n < purgeBatch {
			break
		}
	}
	return stats, nil
}

// purgeSessions deletes one batch of ended sessions. The candidates are
// read outside the write transaction, so the write lock is held for the
// deletes only; a session picked and used meanwhile is still ended (an
// ended session never becomes active again), and the delete says so again.
func (st *Store) purgeSessions(ctx context.Context, cutoff int64) (int, error) {
	const ended = `(expires_at < ?1 OR idle_expires_at < ?1 OR revoked_at < ?1)`
	rows, err := st.r.QueryContext(ctx, `SELECT id FROM sessions WHERE `+ended+` LIMIT ?2`, cutoff, purgeBatch)
	if err != nil {
		return 0, err
	}
	ids, err := collect(rows, func(r scanner) (any, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	var n int64
	err = st.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE `+ended+` AND id IN (`+placeholders(2, len(ids))+`)`,
			append([]any{cutoff}, ids...)...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	// Fewer deleted than picked (another process purged them first) is
	// not the end: report a full batch so the caller looks again.
	if len(ids) == purgeBatch {
		return max(int(n), purgeBatch), nil
	}
	return int(n), nil
}

// purgeFeed deletes one batch of forgettable feed entries, the oldest
// forgettable first, and moves the floor in the same transaction.
func (st *Store) purgeFeed(ctx context.Context, now int64) (int, error) {
	var n int
	err := st.write(ctx, func(tx *wtx) error {
		var purgedMax sql.NullInt64
		if err := tx.QueryRowContext(ctx, `WITH d AS (SELECT cursor FROM revocations WHERE forget_at < ?1 ORDER BY forget_at LIMIT ?2)
			SELECT COUNT(*), MAX(cursor) FROM d`, now, purgeBatch).Scan(&n, &purgedMax); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM revocations WHERE cursor IN
			(SELECT cursor FROM revocations WHERE forget_at < ?1 ORDER BY forget_at LIMIT ?2)`, now, purgeBatch); err != nil {
			return err
		}
		// Nothing below the lowest entry left is stored any more; with
		// none left, nothing up to the highest one removed is.
		_, err := tx.ExecContext(ctx, `UPDATE feed_bounds SET
			purged_max = MAX(purged_max, COALESCE(?1, purged_max)),
			floor = MAX(floor, COALESCE((SELECT MIN(cursor) - 1 FROM revocations), ?1, floor))
			WHERE id = 1`, purgedMax)
		return err
	})
	return n, err
}

// PurgeEvents deletes the audit events recorded before before, in
// batches of at most purgeBatch rows, each its own write transaction.
// Events are appended in time order, so those to go are the ones below
// the first event at or after before: found by one read from the oldest,
// then deleted by id ranges of the primary key.
func (st *Store) PurgeEvents(ctx context.Context, before time.Time) (int, error) {
	var keep sql.NullInt64
	err := st.r.QueryRowContext(ctx, `SELECT COALESCE(
		(SELECT id FROM events WHERE time >= ? ORDER BY id LIMIT 1),
		(SELECT MAX(id) + 1 FROM events))`, micros(before)).Scan(&keep)
	if err != nil || !keep.Valid {
		return 0, wrap("purge events", err)
	}
	total := 0
	for {
		var n int64
		err := st.write(ctx, func(tx *wtx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id IN
				(SELECT id FROM events WHERE id < ?1 AND time < ?3 ORDER BY id LIMIT ?2)`, keep.Int64, purgeBatch, micros(before))
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		total += int(n)
		if err != nil {
			return total, wrap("purge events", err)
		}
		if n < purgeBatch {
			return total, nil
		}
	}
}

// placeholders is "?from, ?from+1, …", n of them.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "?%d", from+i)
	}
	return b.String()
}

// DropSealedSuccessors forgets the sealed successors of tokens rotated
// before rotatedBefore.
func (st *Store) DropSealedSuccessors(ctx context.Context, rotatedBefore time.Time) (int, error) {
	res, err := st.w.ExecContext(ctx, `UPDATE refresh_tokens SET sealed_successor = NULL
		WHERE sealed_successor IS NOT NULL AND rotated_at < ?`, micros(rotatedBefore))
	if err != nil {
		return 0, wrap("drop sealed successors", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("drop sealed successors", err)
}
