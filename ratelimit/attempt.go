package ratelimit

import (
	"context"
	"sync/atomic"
	"time"
)

// An Attempt is an admitted login or sign-up, counted while its outcome is
// unknown. End it with exactly one of Failed, Succeeded or Cancel; the
// first call ends it, and any later call (or a call on a nil *Attempt) does
// nothing and returns nil. An Attempt ends on the backend it was reserved
// on, even if the Throttle has since moved to or from its local counters.
// The end methods are safe for concurrent use; pass them a context that
// has not ended, or the counts they change stay as they were.
type Attempt struct {
	t     *Throttle
	b     Backend
	local bool // b is the Throttle's local fallback
	held  []held
	known string // the key that a success marks; "" for a sign-up
	ended atomic.Bool
}

// held is one reservation of an Attempt.
type held struct {
	dim  dimension
	n    int64         // the count it made
	wait time.Duration // the block that count started, zero for none
}

// Failed ends the attempt as a failure: the password was wrong, the user
// unknown or disabled (say so alike). The reservation stays counted, and
// the waits it earned start from now. For a sign-up, Failed keeps the
// count. The error is the backend's; the attempt has ended all the same.
func (a *Attempt) Failed(ctx context.Context) error {
	if !a.end() {
		return nil
	}
	return a.settle(ctx, func(ctx context.Context, b Backend) error {
		for _, h := range a.held {
			if h.dim.restart && h.wait > 0 {
				if err := b.Restart(ctx, h.dim.res, h.n, h.wait); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Succeeded ends a login attempt whose password was right: the
// reservation is refunded from the account, IP and global counters (one
// good password does not excuse other guesses, and is not one itself), the
// pair's counter and block are reset, and ip is remembered as known for
// the account for Config.KnownFor. For a sign-up, Succeeded keeps the
// count (a created account counts). Errors are those of Failed.
func (a *Attempt) Succeeded(ctx context.Context) error {
	if !a.end() {
		return nil
	}
	return a.settle(ctx, func(ctx context.Context, b Backend) error {
		for _, h := range a.held {
			var err error
			switch h.dim.onSuccess {
			case refundOnSuccess:
				err = b.Refund(ctx, h.dim.res, h.n)
			case resetOnSuccess:
				err = b.Del(ctx, h.dim.res.Count, h.dim.res.Block)
			case keepOnSuccess:
			}
			if err != nil {
				return err
			}
		}
		if a.known == "" {
			return nil
		}
		return b.Set(ctx, a.known, 1, a.t.cfg.KnownFor)
	})
}

// Cancel ends an attempt whose password was never checked (the server was
// busy, the store failed): everything the reservation counted is
// refunded, as if the attempt had not been made. Errors are those of
// Failed.
func (a *Attempt) Cancel(ctx context.Context) error {
	if !a.end() {
		return nil
	}
	return a.settle(ctx, a.refund)
}

// end reports whether this call ends a (non-nil) attempt.
func (a *Attempt) end() bool { return a != nil && a.ended.CompareAndSwap(false, true) }

// refund refunds every reservation held, on b.
func (a *Attempt) refund(ctx context.Context, b Backend) error {
	for _, h := range a.held {
		if err := b.Refund(ctx, h.dim.res, h.n); err != nil {
			return err
		}
	}
	return nil
}

// settle applies op to the attempt's backend. On the shared backend it is
// bounded by Config.BackendTimeout and its outcome feeds the Throttle's
// view of the backend's health, as run does; there is no fallback, since
// the counts to change are on that backend.
func (a *Attempt) settle(ctx context.Context, op func(context.Context, Backend) error) error {
	t := a.t
	if t.local == nil || a.local {
		return op(ctx, a.b)
	}
	pctx, cancel := context.WithTimeout(ctx, t.cfg.BackendTimeout)
	err := op(pctx, a.b)
	cancel()
	if err == nil {
		t.primaryOK()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	t.primaryFailed(err)
	return err
}
