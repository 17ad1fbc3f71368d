// Package sqlite implements gatehouse.Store on an embedded SQLite database
// file, with the pure-Go driver modernc.org/sqlite (no cgo), so that
// `gatehouse serve` needs no setup.
//
// Durability: the database runs in WAL mode with synchronous=FULL, so every
// committed transaction is fsynced to the write-ahead log before the commit
// returns: nothing acknowledged to a client is lost on a crash or power
// failure. Foreign keys are on (refresh tokens go with their session).
//
// What is deleted does not linger: the writer runs with secure_delete, so
// deleted rows (refresh-token hashes, dropped sealed successors, signing
// keys) are zeroed rather than left in free space, and a write that removes
// private key material checkpoints the WAL (TRUNCATE), so that the old page
// is neither in the database file nor in its -wal (docs/keys.md).
//
// Concurrency: a Store holds two connection pools on the file. Writes go
// through a pool of one connection whose transactions begin IMMEDIATE
// (_txlock=immediate), taking SQLite's write lock at BEGIN: writers of one
// process queue in Go, never deadlock on a read-to-write lock upgrade, and
// see a state no other writer can change until they commit. One goroutine
// runs them (writer.go): every write queued at the moment it starts a
// transaction goes into that transaction, each in its own savepoint, so
// that a refresh storm pays one fsync per batch rather than one per
// refresh, and nothing is answered before its batch has committed.
// Statements are prepared once per connection and kept (stmts.go). Reads go
// through a read-only pool that WAL lets run beside the writer. Other
// processes on the same file (the CLI while the server runs) wait for the
// write lock up to busy_timeout (10 s) instead of failing.
//
// Rotation of a refresh token is decided by a conditional UPDATE (WHERE the
// token is not rotated, its session is active and its user enabled and in
// the session's epoch): of any number of concurrent callers, in any number
// of processes, exactly one matches the row; a partial unique index allows
// one live token per session. Every write that ends sessions (an epoch
// move, DeleteUser, RevokeSession) and every CreateSession runs in one
// write transaction, so none sees another half-done.
//
// The schema is created by embedded goose migrations (migrations/*.sql).
// Times are INTEGER microseconds since the Unix epoch, UTC; hashes are
// BLOBs; scopes one space-joined TEXT column. Unique violations become
// gatehouse.ErrConflict, missing rows gatehouse.ErrNotFound; every other
// driver error is wrapped with %w.
package sqlite
