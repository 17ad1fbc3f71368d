// Package ratelimit throttles password guessing on the login endpoint.
//
// A Throttle counts failed logins in a Backend — in process (Memory) for a
// single server, or in Redis (Redis) so that several replicas count
// together — and answers each login attempt, before the password is
// checked, with a Decision: allowed, or refused until RetryAfter (the
// server answers 429 with Retry-After).
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
//
// Accounts and IPs are opaque strings; they reach the backend only as
// truncated SHA-256 hashes (see keys.go), so no username or address
// appears in Redis keys. IPv6 addresses count per /64.
//
// When the Redis backend fails, a Throttle keeps answering from a local
// Memory backend (counting on this replica only), logs one warning per
// outage, exposes it in Stats and in its Prometheus collectors, and
// retries Redis every Config.RetryBackend.
//
// The clock and the logger are injected (Config.Now, Config.Logger). Redis
// access is github.com/redis/go-redis/v9; metrics are
// github.com/prometheus/client_golang.
package ratelimit
