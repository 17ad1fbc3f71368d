package ratelimit

import (
	"context"
	"sync"
	"time"
)

// health tracks whether the primary backend is failing.
type health struct {
	mu      sync.Mutex
	down    bool
	retryAt time.Time // while down, when the next call may try the primary
}

// run applies op to the primary backend within BackendTimeout. If that
// fails (and ctx has not ended), it applies op to the local fallback and
// marks the primary down: until RetryBackend has passed, further calls go
// to the fallback directly; then one call tries the primary again. The
// first failure of an outage logs a warning; the first success after it
// logs the recovery.
func (t *Throttle) run(ctx context.Context, op func(context.Context, Backend) error) error {
	if t.local == nil {
		return op(ctx, t.primary)
	}
	if !t.tryPrimary() {
		return op(ctx, t.local)
	}
	pctx, cancel := context.WithTimeout(ctx, t.cfg.BackendTimeout)
	err := op(pctx, t.primary)
	cancel()
	if err == nil {
		t.primaryOK()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err() // the caller gave up; says nothing of the backend
	}
	t.primaryFailed(err)
	return op(ctx, t.local)
}

// tryPrimary reports whether this call should use the primary backend.
func (t *Throttle) tryPrimary() bool {
	h := &t.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		return true
	}
	now := t.cfg.Now()
	if now.Before(h.retryAt) {
		return false
	}
	h.retryAt = now.Add(t.cfg.RetryBackend) // this call is the one probe
	return true
}

func (t *Throttle) primaryOK() {
	h := &t.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		h.down = false
		t.stats.fallback.Store(false)
		t.cfg.Logger.Info("login throttling: shared counters reachable again")
	}
}

func (t *Throttle) primaryFailed(err error) {
	t.stats.backendErrors.Add(1)
	h := &t.health
	h.mu.Lock()
	defer h.mu.Unlock()
	h.retryAt = t.cfg.Now().Add(t.cfg.RetryBackend)
	if !h.down {
		h.down = true
		t.stats.fallback.Store(true)
		t.stats.outages.Add(1)
		t.cfg.Logger.Warn("login throttling: shared counters unreachable; counting on this replica only until they return",
			"err", err, "retry_every", t.cfg.RetryBackend)
	}
}
