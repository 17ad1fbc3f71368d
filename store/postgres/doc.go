// Package postgres implements gatehouse.Store on PostgreSQL, so that several
// `gatehouse serve` processes on one database behave as one server.
//
// Connections come from a pgxpool pool that keeps them open (a connection
// per query is an order of magnitude slower). The schema is created by
// embedded goose migrations (migrations/*.sql), written in PostgreSQL's own
// SQL; Migrate takes goose's session advisory lock so that replicas starting
// at once migrate one after the other.
//
// Concurrency is decided by the database, never by a read followed by a
// write in Go:
//   - RotateRefreshToken is one statement. It first locks the session's
//     row (if the token is live, the session active and its user enabled
//     and in the session's epoch), so that whatever ends the session
//     either waits for it or makes it write nothing; then its conditional
//     UPDATE (WHERE the token is not yet rotated) picks the single winner.
//     A partial unique index allows one live refresh token per session, so
//     two lineages cannot exist even by mistake.
//   - Writes to a user hold its row FOR UPDATE; CreateSession reads it FOR
//     SHARE in the statement that inserts the session, so a login lands
//     either before an epoch move (which then ends it) or not at all.
//   - Revocation feed entries are written under a transaction-scoped
//     advisory lock, so their cursors are committed in cursor order and a
//     reader polling with ?since= never skips one.
//   - Writes that change which signing keys exist or their states
//     serialise on an advisory lock, and each is conditional on the keys
//     (and the key-encryption key) the caller saw; partial unique indexes
//     keep exactly one active and one next key. RecordSigned takes only its
//     key's row lock: a conditional DELETE of the key waits for it and sees
//     the raised signed_until, or it finds the row gone.
//   - Purge takes pg_try_advisory_xact_lock: one replica purges, the others
//     return zero stats at once.
//
// Advisory lock keys are derived from the schema name, so deployments (and
// tests) in different schemas of one database do not contend.
//
// Times are stored as timestamptz (UTC, microsecond precision), hashes as
// bytea, scopes as one space-joined text column. Unique violations become
// gatehouse.ErrConflict, missing rows gatehouse.ErrNotFound; every other
// driver error is wrapped with %w.
package postgres
