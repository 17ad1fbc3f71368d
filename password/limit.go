package password

import (
	"context"
	"fmt"
	"time"
)

// acquire takes a hashing slot, waiting at most cfg.MaxWait for one. It
// returns ErrBusy when none frees up in time; when ctx ends first, an error
// that wraps both ErrBusy and the context's cause. On success the caller
// must call release exactly once.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	m := h.metrics
	if err := ctx.Err(); err != nil {
		m.busy.Inc()
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
	start := time.Now()
	select {
	case h.slots <- struct{}{}:
		m.waited(start)
		return h.release, nil
	default:
	}
	if h.cfg.MaxWait < 0 {
		m.busy.Inc()
		return nil, ErrBusy
	}
	m.waiting.Add(1)
	defer m.waiting.Add(-1)
	timer := time.NewTimer(h.cfg.MaxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		m.waited(start)
		return h.release, nil
	case <-timer.C:
		m.busy.Inc()
		return nil, ErrBusy
	case <-ctx.Done():
		m.busy.Inc()
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
}

func (h *Hasher) release() { <-h.slots }
