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
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
	select {
	case h.slots <- struct{}{}:
		return h.release, nil
	default:
	}
	if h.cfg.MaxWait < 0 {
		return nil, ErrBusy
	}
	timer := time.NewTimer(h.cfg.MaxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return h.release, nil
	case <-timer.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
}

func (h *Hasher) release() { <-h.slots }
