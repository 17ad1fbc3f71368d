package ratelimit

import (
	"context"
	"slices"
	"sync"
	"time"
)

// DefaultMemoryLimit is how many keys a Memory holds by default.
const DefaultMemoryLimit = 100_000

// sweepEvery is how many writes pass between two sweeps of expired keys.
const sweepEvery = 1024

// Memory is an in-process Backend. Expired keys are swept every
// sweepEvery writes, and whenever the key limit is reached; if the limit
// is still reached after a sweep, the keys closest to expiry are dropped
// (down to 7/8 of the limit), so memory stays bounded under a flood of
// distinct accounts and addresses.
type Memory struct {
	now func() time.Time

	mu     sync.Mutex
	limit  int
	writes int
	m      map[string]memEntry
}

type memEntry struct {
	value   int64
	expires time.Time
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty Memory holding at most DefaultMemoryLimit
// keys. now is its clock; nil means time.Now.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, limit: DefaultMemoryLimit, m: make(map[string]memEntry)}
}

// WithLimit sets the maximum number of keys (at least 8) and returns m.
// Call it before m is used.
func (m *Memory) WithLimit(n int) *Memory {
	m.limit = max(n, 8)
	return m
}

// Len returns the number of keys held, expired ones included until swept.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}

func (m *Memory) Get(_ context.Context, keys ...string) ([]Entry, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Entry, len(keys))
	for i, k := range keys {
		if e, ok := m.m[k]; ok && now.Before(e.expires) {
			out[i] = Entry{Value: e.value, TTL: e.expires.Sub(now)}
		}
	}
	return out, nil
}

func (m *Memory) Set(_ context.Context, key string, value int64, ttl time.Duration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store(now, key, memEntry{value: value, expires: now.Add(ttl)})
	return nil
}

func (m *Memory) Del(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.m, k)
	}
	return nil
}

// store writes e at key, keeping the map within its limit. m.mu is held.
func (m *Memory) store(now time.Time, key string, e memEntry) {
	m.writes++
	_, exists := m.m[key]
	if m.writes%sweepEvery == 0 || (!exists && len(m.m) >= m.limit) {
		m.sweep(now)
	}
	if !exists && len(m.m) >= m.limit {
		m.evict(m.limit * 7 / 8)
	}
	m.m[key] = e
}

// sweep drops expired keys. m.mu is held.
func (m *Memory) sweep(now time.Time) {
	for k, e := range m.m {
		if !now.Before(e.expires) {
			delete(m.m, k)
		}
	}
}

// evict drops the keys closest to expiry until n remain. m.mu is held.
func (m *Memory) evict(n int) {
	type kv struct {
		key     string
		expires time.Time
	}
	all := make([]kv, 0, len(m.m))
	for k, e := range m.m {
		all = append(all, kv{k, e.expires})
	}
	slices.SortFunc(all, func(a, b kv) int { return a.expires.Compare(b.expires) })
	for _, e := range all[:len(all)-n] {
		delete(m.m, e.key)
	}
}
