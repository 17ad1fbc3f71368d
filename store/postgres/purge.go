package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

// Purge deletes sessions ended (expired, idle-expired or revoked) before
// sessionCutoff, with their refresh tokens, and feed entries whose
// ForgetAt is before now, in one transaction. Replicas purging at once do
// not queue: the one that gets the purge lock does the work, the others
// return zero stats and nil at once.
func (st *Store) Purge(ctx context.Context, now, sessionCutoff time.Time) (gatehouse.PurgeStats, error) {
	var stats gatehouse.PurgeStats
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, tryLockPurge).Scan(&locked); err != nil || !locked {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions
			WHERE expires_at < $1 OR idle_expires_at < $1 OR revoked_at < $1`, utc(sessionCutoff))
		if err != nil {
			return err
		}
		stats.Sessions = int(tag.RowsAffected())
		var purgedMax *int64
		if err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM revocations WHERE forget_at < $1 RETURNING cursor)
			SELECT count(*), max(cursor) FROM d`, utc(now)).Scan(&stats.Revocations, &purgedMax); err != nil {
			return err
		}
		// Nothing below the lowest entry left is stored any more; with
		// none left, nothing up to the highest one removed is. An entry
		// committed meanwhile has a cursor above every one removed.
		_, err = tx.Exec(ctx, `UPDATE feed_bounds SET
			purged_max = GREATEST(purged_max, COALESCE($1, purged_max)),
			floor = GREATEST(floor, COALESCE((SELECT MIN(cursor) - 1 FROM revocations), $1, floor))
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
	tag, err := st.pool.Exec(ctx, `UPDATE refresh_tokens SET sealed_successor = NULL
		WHERE sealed_successor IS NOT NULL AND rotated_at < $1`, utc(rotatedBefore))
	if err != nil {
		return 0, wrap("drop sealed successors", err)
	}
	return int(tag.RowsAffected()), nil
}
