package ratelimit

import (
	"context"
	"time"
)

// Backend stores counters with expiry. Implementations are safe for
// concurrent use; Redis is shared by every replica that uses it.
type Backend interface {
	// Get returns, for each key in order, its value and remaining time
	// to live. A missing or expired key is the zero Entry.
	Get(ctx context.Context, keys ...string) ([]Entry, error)
	// Incr adds one to each counter (a missing one counts from zero),
	// sets its expiry to its TTL from now, and returns the new values in
	// order. Each counter's increment and expiry are atomic together.
	Incr(ctx context.Context, counters ...Counter) ([]int64, error)
	// Set stores value at key with expiry ttl, replacing what was there.
	Set(ctx context.Context, key string, value int64, ttl time.Duration) error
	// Del removes the keys. Missing keys are not an error.
	Del(ctx context.Context, keys ...string) error
}

// Entry is a stored value and its remaining time to live.
type Entry struct {
	Value int64
	TTL   time.Duration
}

// Counter names a counter to increment and the expiry to give it.
type Counter struct {
	Key string
	TTL time.Duration
}
