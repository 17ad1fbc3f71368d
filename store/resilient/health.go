package resilient

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse"
)

// writeHealth remembers whether the last write call the database answered
// or failed as unavailable.
type writeHealth struct {
	mu       sync.Mutex
	failing  bool
	failedAt time.Time
	cause    error
}

// record notes a write call's outcome: an unavailable error marks writes
// failing; a success, or a domain answer (the database answered), marks
// them working; other errors say nothing about the database.
func (h *writeHealth) record(now time.Time, err error) {
	switch {
	case errors.Is(err, gatehouse.ErrUnavailable):
	case err == nil || isDomain(err):
	default:
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.failing, h.failedAt, h.cause = true, now, err
		return
	}
	h.failing, h.cause = false, nil
}

func isDomain(err error) bool {
	for _, d := range domainErrors {
		if errors.Is(err, d) {
			return true
		}
	}
	return false
}

// WriteProber is a store that can prove a write would succeed now, with a
// cheap write that changes nothing a client sees.
type WriteProber interface {
	ProbeWrite(ctx context.Context) error
}

// Health reports whether the store can serve a write now: nil, or the
// reason it cannot (an error that is gatehouse.ErrUnavailable). It pings
// the database and, when the wrapped store is a WriteProber, makes its
// probe write (both under the call deadline); a real write that failed
// as unavailable in the last recentFailure fails it too. Readiness
// callers cache the answer (the probe is a write).
func (s *Store) Health(ctx context.Context) error {
	if err := run(s, ctx, "Ping", read, s.next.Ping); err != nil {
		return err
	}
	h := &s.writes
	h.mu.Lock()
	failing, failedAt, cause := h.failing, h.failedAt, h.cause
	h.mu.Unlock()
	if p, ok := s.next.(WriteProber); ok {
		if err := run(s, ctx, "ProbeWrite", probe, p.ProbeWrite); err != nil {
			return err
		}
	}
	// Real writes that failed a moment ago (growing a table on a full
	// disk) outweigh a probe's success; past recentFailure the probe
	// alone decides, so a replica nobody sends writes to recovers.
	if failing && s.now().Sub(failedAt) < recentFailure {
		return cause
	}
	if _, ok := s.next.(WriteProber); !ok && failing {
		return cause
	}
	return nil
}

// recentFailure is how long a real write's failure keeps Health failing
// although the probe succeeds.
const recentFailure = 5 * time.Second
