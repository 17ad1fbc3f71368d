package postgres

// Advisory locks are database-wide; their keys are derived from the current
// schema so that deployments in different schemas of one database (and
// parallel tests) do not contend. Each is taken with a *_xact_lock function
// inside a transaction and released at its end.

// lockKey is the SQL expression of the advisory lock key for purpose.
func lockKey(purpose string) string {
	return "hashtextextended(coalesce(current_schema(), '') || '.gatehouse." + purpose + "', 0)"
}

var (
	// lockFeed serialises writes to the revocation feed, so that cursors
	// are committed in cursor order.
	lockFeed = "SELECT pg_advisory_xact_lock(" + lockKey("feed") + ")"
	// lockKeys serialises signing-key initialisation and rotation.
	lockKeys = "SELECT pg_advisory_xact_lock(" + lockKey("keys") + ")"
	// tryLockPurge is taken by the one replica that purges.
	tryLockPurge = "SELECT pg_try_advisory_xact_lock(" + lockKey("purge") + ")"
)
