package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Purge deletes sessions ended (expired, idle-expired or revoked) before
// sessionCutoff, with their refresh tokens (ON DELETE CASCADE), and feed
// entries whose ForgetAt is before now, in one write transaction. Callers
// purging at once, in this process or others, run one after the other;
// a later one finds less (or nothing) to delete and does not fail.
func (st *Store) Purge(ctx context.Context, now, sessionCutoff time.Time) (gatehouse.PurgeStats, error) {
	var stats gatehouse.PurgeStats
	err := st.write(ctx, func(tx *wtx) error {
		cutoff := micros(sessionCutoff)
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions
			WHERE expires_at < ?1 OR idle_expires_at < ?1 OR revoked_at < ?1`, cutoff)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		stats.Sessions = int(n)
		var purgedMax sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MAX(cursor) FROM revocations WHERE forget_at < ?`,
			micros(now)).Scan(&stats.Revocations, &purgedMax); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM revocations WHERE forget_at < ?`, micros(now)); err != nil {
			return err
		}
		// Nothing below the lowest entry left is stored any more; with
		// none left, nothing up to the highest one removed is.
		_, err = tx.ExecContext(ctx, `UPDATE feed_bounds SET
			purged_max = MAX(purged_max, COALESCE(?1, purged_max)),
			floor = MAX(floor, COALESCE((SELECT MIN(cursor) - 1 FROM revocations), ?1, floor))
			WHERE id = 1`, purgedMax)
		return err
	})
	if err != nil {
		return gatehouse.PurgeStats{}, wrap("purge", err)
	}
	return stats, nil
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
