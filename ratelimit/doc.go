// Package ratelimit throttles password guessing on the login endpoint, and
// bulk account creation on the sign-up endpoint.
//
// A Throttle counts in a Backend — in process (Memory) for a single
// server, or in Redis (Redis) so that several replicas count together.
// Each login attempt is reserved before the password is checked: the
// Throttle decides and, if the attempt may proceed, counts it as a failure
// at once, in one atomic backend step per counter, so attempts in flight
// are counted and a burst of parallel guesses is admitted no more than the
// same guesses one at a time. The outcome then settles the reservation: a
// failure keeps it, a success refunds it, an attempt whose password was
// never checked is cancelled. A refused attempt gets RetryAfter (the
// server answers 429 with Retry-After) and is counted nowhere.
//
// What is counted, and why (docs/throttling.md has the table):
//   - failures per account and client IP (the pair): exponential backoff
//     after a few free attempts, capped; a successful login resets it. This
//     is the only counter that applies to an IP the account has logged in
//     from successfully before (a "known" IP, remembered for KnownFor).
//   - failures per account from IPs that are not known for it: the same
//     backoff, for those IPs only. An attacker guessing from elsewhere
//     slows down every unknown IP but cannot lock the owner out of the
//     devices and networks they already use.
//   - failures per client IP across all accounts (password spraying), and
//     failures per second across the whole server (a global bound); both
//     apply to unknown IPs only, for the same reason.
//   - sign-ups per client IP, apart from all the login counters.
//
// The policy (which counters, in which order, what a count earns) is the
// Throttle's; a Backend only applies one Reservation atomically. Accounts
// and IPs are opaque strings; they reach the backend only as truncated
// SHA-256 hashes (see keys.go), so no username or address appears in
// Redis keys. IPv6 addresses count per /64.
//
// When the Redis backend fails, a Throttle keeps answering from a local
// Memory backend (counting on this replica only), logs one warning per
// outage, exposes it in Stats and in its Prometheus collectors, and
// retries Redis every Config.RetryBackend. An attempt is always settled on
// the backend it was reserved on.
//
// The clock and the logger are injected (Config.Now, Config.Logger). Redis
// access is github.com/redis/go-redis/v9 (its Script type runs the Lua
// scripts with EVALSHA); metrics are github.com/prometheus/client_golang.
package ratelimit
