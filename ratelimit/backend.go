package ratelimit

import (
	"context"
	"time"
)

// Backend stores counters with expiry. Implementations are safe for
// concurrent use; Redis is shared by every replica that uses it.
//
// Reserve, Refund and Restart are each one atomic step on the two keys of
// a Reservation (a counter and its block): no other call on those keys, from
// this process or another replica, sees the step half done. That is what
// lets attempts in flight be counted before they are decided. The two keys
// share a Redis Cluster hash tag (see keys.go), so the step is one script.
type Backend interface {
	// Get returns, for each key in order, its value and remaining time
	// to live. A missing or expired key is the zero Entry.
	Get(ctx context.Context, keys ...string) ([]Entry, error)
	// Set stores value at key with expiry ttl, replacing what was there.
	Set(ctx context.Context, key string, value int64, ttl time.Duration) error
	// Del removes the keys. Missing keys are not an error.
	Del(ctx context.Context, keys ...string) error

	// Reserve decides and counts in one atomic step. While r.Block is live
	// and r is not Force, it counts nothing and refuses, with the block's
	// remaining time to live as Result.Wait. Otherwise it increments
	// r.Count (which then expires r.Window from now) to n and, if n earns a
	// wait (r.Wait(n) > 0), stores n at r.Block to expire after that wait.
	// So of concurrent reservations none sees the count another made
	// without the block that count earned.
	Reserve(ctx context.Context, r Reservation) (Result, error)
	// Refund undoes the reservation of r that counted n, in one atomic
	// step: it decrements r.Count (deleting it rather than going below
	// one; a missing counter stays missing) and deletes r.Block only if it
	// still holds n, so a block that another count set stays.
	Refund(ctx context.Context, r Reservation, n int64) error
	// Restart makes r.Block, if it still holds n, expire wait from now, in
	// one atomic step; a block that has gone or holds another count is
	// left alone.
	Restart(ctx context.Context, r Reservation, n int64, wait time.Duration) error
}

// Entry is a stored value and its remaining time to live.
type Entry struct {
	Value int64
	TTL   time.Duration
}
