package ratelimit

import (
	"context"
)

// Reserve decides whether a login attempt for account from ip may proceed
// and, if it may, counts it at once as a failure (a reservation) before the
// password is checked, so attempts in flight are counted: of N parallel
// attempts, no more are admitted than sequential ones would be.
//
// When the Decision is not Allowed, the *Attempt is nil and nothing was
// counted: answer 429 without checking the password. When it is Allowed,
// check the password and end the Attempt with exactly one of Failed,
// Succeeded or Cancel.
//
// Each counter (the pair, the account, the IP, the global bound) is
// reserved in one atomic backend step, one after the other; if a later
// one refuses, the earlier ones are refunded. Under contention a
// reservation that is about to be refunded may refuse a concurrent attempt
// it would not have refused one at a time: the throttle errs towards
// refusing. Reserve fails only when ctx ends (a failing Redis is replaced
// by local counters); a reservation cut short by such a failure may stay
// counted on the backend that failed.
func (t *Throttle) Reserve(ctx context.Context, account, ip string) (Decision, *Attempt, error) {
	k := keysFor(account, ip)
	now := t.cfg.Now()
	return t.reserve(ctx, k.known, func(ctx context.Context, b Backend) ([]dimension, error) {
		e, err := b.Get(ctx, k.known)
		if err != nil {
			return nil, err
		}
		return t.loginDims(k, e[0].Value != 0, now), nil
	})
}

// ReserveSignup decides whether a sign-up from ip may proceed and, if it
// may, counts it at once, so parallel sign-ups are admitted no more than
// Config.SignupsPerIP per Config.SignupWindow. Sign-ups are counted per
// client IP (IPv6 per /64, as logins are) and never touch the login
// counters: many addresses signing up do not affect each other or any
// login. The Attempt's Succeeded and Failed both keep the count (an
// attempt to create an account is what is limited); Cancel refunds it
// when nothing was attempted. Errors are those of Reserve.
func (t *Throttle) ReserveSignup(ctx context.Context, ip string) (Decision, *Attempt, error) {
	dim := t.signupDim(ip)
	return t.reserve(ctx, "", func(context.Context, Backend) ([]dimension, error) {
		return []dimension{dim}, nil
	})
}

// reserve reserves, on one backend (the primary, or the local counters
// when it fails), the dimensions that dims returns for that backend. known
// is the key that a success marks ("" for none).
func (t *Throttle) reserve(ctx context.Context, known string,
	dims func(context.Context, Backend) ([]dimension, error)) (Decision, *Attempt, error) {
	var (
		d Decision
		a *Attempt
	)
	err := t.run(ctx, func(ctx context.Context, b Backend) error {
		ds, err := dims(ctx, b)
		if err != nil {
			return err
		}
		d, a, err = t.reserveOn(ctx, b, ds)
		return err
	})
	if err != nil {
		return Decision{}, nil, err
	}
	if !d.Allowed {
		t.stats.refused(d.Reason)
		return d, nil, nil
	}
	a.known = known
	return d, a, nil
}

// reserveOn reserves dims on b in order. On a refusal, or an error, it
// refunds what it had reserved; the refusal's RetryAfter is the longest
// wait of the refusing counter and the ones after it.
func (t *Throttle) reserveOn(ctx context.Context, b Backend, dims []dimension) (Decision, *Attempt, error) {
	a := &Attempt{t: t, b: b, local: t.local != nil && b == Backend(t.local)}
	for i, dim := range dims {
		res, err := b.Reserve(ctx, dim.res)
		if err != nil {
			_ = a.refund(ctx, b) // best effort: the backend is failing
			return Decision{}, nil, err
		}
		if !res.Allowed {
			if err := a.refund(ctx, b); err != nil {
				return Decision{}, nil, err
			}
			d, err := t.longest(ctx, b, Decision{RetryAfter: res.Wait, Reason: dim.reason}, dims[i+1:])
			return d, nil, err
		}
		a.held = append(a.held, held{dim: dim, n: res.N, wait: res.Wait})
	}
	return Decision{Allowed: true}, a, nil
}

// longest returns d, or the refusal of one of dims whose block outlasts it.
func (t *Throttle) longest(ctx context.Context, b Backend, d Decision, dims []dimension) (Decision, error) {
	var blocks []string
	var reasons []string
	for _, dim := range dims {
		if !dim.res.Force {
			blocks = append(blocks, dim.res.Block)
			reasons = append(reasons, dim.reason)
		}
	}
	if len(blocks) == 0 {
		return d, nil
	}
	e, err := b.Get(ctx, blocks...)
	if err != nil {
		return Decision{}, err
	}
	for i, e := range e {
		if e.TTL > d.RetryAfter {
			d = Decision{RetryAfter: e.TTL, Reason: reasons[i]}
		}
	}
	return d, nil
}
