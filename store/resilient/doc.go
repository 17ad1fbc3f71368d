// Package resilient wraps a gatehouse.Store so that a failing database
// fails well (docs/failures.md):
//
//   - every call has a deadline (Config.Timeout, the server's --db-timeout),
//     except WaitRevocations, which blocks by design until its caller's
//     context ends;
//   - a driver error that means "the database cannot serve this now"
//     (connection refused or lost, the pool out of connections, the
//     deadline passed, disk full, read-only, locked past the busy timeout,
//     PostgreSQL shutting down or refusing connections) becomes
//     gatehouse.ErrUnavailable, which the HTTP layer answers 503 with
//     Retry-After on every route;
//   - those failures are logged at most once per cause per interval, with
//     the count of the ones left out;
//   - every call is reported to Config.Observe (the method's name, how long
//     it took, its error), for store-latency metrics;
//   - writes are tracked, so that readiness can tell whether a write can
//     succeed (Health).
//
// It knows the drivers' errors by behaviour (SQLite's result codes,
// PostgreSQL's SQLSTATE classes, pgconn's connection errors, net and
// syscall errors); the stores themselves are unchanged.
package resilient
