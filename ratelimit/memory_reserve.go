package ratelimit

import (
	"context"
	"time"
)

// Memory's reservations are atomic because each holds m.mu from the
// decision to the last write.

func (m *Memory) Reserve(_ context.Context, r Reservation) (Result, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.live(now, r.Block); ok && !r.Force {
		return Result{Wait: b.expires.Sub(now)}, nil
	}
	c, _ := m.live(now, r.Count)
	c.value++
	c.expires = now.Add(r.Window)
	m.store(now, r.Count, c)
	res := Result{Allowed: true, N: c.value, Wait: r.Wait(c.value)}
	if res.Wait > 0 {
		m.store(now, r.Block, memEntry{value: c.value, expires: now.Add(res.Wait)})
	}
	return res, nil
}

func (m *Memory) Refund(_ context.Context, r Reservation, n int64) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.live(now, r.Count); ok && c.value > 1 {
		c.value--
		m.m[r.Count] = c
	} else {
		delete(m.m, r.Count)
	}
	if b, ok := m.live(now, r.Block); ok && b.value == n {
		delete(m.m, r.Block)
	}
	return nil
}

func (m *Memory) Restart(_ context.Context, r Reservation, n int64, wait time.Duration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.live(now, r.Block); ok && b.value == n {
		b.expires = now.Add(wait)
		m.m[r.Block] = b
	}
	return nil
}

// live returns key's entry if it has not expired. m.mu is held.
func (m *Memory) live(now time.Time, key string) (memEntry, bool) {
	e, ok := m.m[key]
	if !ok || !now.Before(e.expires) {
		return memEntry{}, false
	}
	return e, true
}
