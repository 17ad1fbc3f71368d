package ratelimit

import (
	"context"
	"time"
)

// Reasons for a refusal, for logs and metrics. Do not send them to the
// client: the answer to a throttled login is the same whatever the reason.
const (
	ReasonPair    = "account+ip"
	ReasonAccount = "account"
	ReasonIP      = "ip"
	ReasonGlobal  = "global"
)

// Decision is the answer to a login attempt.
type Decision struct {
	Allowed bool
	// RetryAfter is how long to wait before the next attempt; zero when
	// Allowed. The server sends it as Retry-After (RetryAfterSeconds).
	RetryAfter time.Duration
	// Reason is one of the Reason constants when not Allowed.
	Reason string
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1
// when not Allowed: the value of a Retry-After header.
func (d Decision) RetryAfterSeconds() int {
	if d.Allowed {
		return 0
	}
	return max(1, int((d.RetryAfter+time.Second-1)/time.Second))
}

// Throttle decides whether a login attempt may proceed, and records its
// outcome. It is safe for concurrent use.
type Throttle struct {
	cfg     Config
	primary Backend
	local   *Memory // nil when primary is itself in process
	health  health
	stats   stats
}

// New returns a Throttle counting in b. Unless b is a *Memory, the
// Throttle keeps a local Memory to fall back on while b fails.
func New(b Backend, cfg Config) *Throttle {
	cfg = cfg.withDefaults()
	t := &Throttle{cfg: cfg, primary: b}
	if _, inProcess := b.(*Memory); !inProcess {
		t.local = NewMemory(cfg.Now)
	}
	return t
}

// Check decides whether a login for account from ip may proceed. Call it
// before verifying the password; when not Allowed, answer 429 without
// verifying. It fails only when ctx ends.
func (t *Throttle) Check(ctx context.Context, account, ip string) (Decision, error) {
	k := keysFor(account, ip)
	now := t.cfg.Now()
	var e []Entry
	err := t.run(ctx, func(ctx context.Context, b Backend) (err error) {
		e, err = b.Get(ctx, k.pairBlock, k.known, k.acctBlock, k.ipBlock, globalKey(now))
		return err
	})
	if err != nil {
		return Decision{}, err
	}
	pairBlock, known, acctBlock, ipBlock, global := e[0], e[1], e[2], e[3], e[4]

	d := Decision{Allowed: true}
	refuse := func(wait time.Duration, reason string) {
		if wait > d.RetryAfter {
			d = Decision{RetryAfter: wait, Reason: reason}
		}
	}
	refuse(pairBlock.TTL, ReasonPair)
	if known.Value == 0 {
		refuse(acctBlock.TTL, ReasonAccount)
		refuse(ipBlock.TTL, ReasonIP)
		if t.cfg.GlobalPerSecond > 0 && global.Value >= int64(t.cfg.GlobalPerSecond) {
			refuse(now.Truncate(time.Second).Add(time.Second).Sub(now), ReasonGlobal)
		}
	}
	if !d.Allowed {
		t.stats.refused(d.Reason)
	}
	return d, nil
}

// Failure records a failed login (wrong password or unknown account: call
// it for both, so that they look alike) and starts the delays it earns.
func (t *Throttle) Failure(ctx context.Context, account, ip string) error {
	k := keysFor(account, ip)
	now := t.cfg.Now()
	return t.run(ctx, func(ctx context.Context, b Backend) error {
		e, err := b.Get(ctx, k.known)
		if err != nil {
			return err
		}
		known := e[0].Value != 0
		counters := []Counter{
			{k.pairFail, t.cfg.Window},
			{k.ipFail, t.cfg.Window},
			{globalKey(now), 2 * time.Second},
		}
		if !known {
			counters = append(counters, Counter{k.acctFail, t.cfg.Window})
		}
		n, err := b.Incr(ctx, counters...)
		if err != nil {
			return err
		}
		type block struct {
			key  string
			n    int64 // failures counted so far
			free int
		}
		blocks := []block{{k.pairBlock, n[0], t.cfg.PairFree}, {k.ipBlock, n[1], t.cfg.IPFree}}
		if !known {
			blocks = append(blocks, block{k.acctBlock, n[3], t.cfg.AccountFree})
		}
		for _, bl := range blocks {
			if d := t.cfg.Delay(bl.n, bl.free); d > 0 {
				if err := b.Set(ctx, bl.key, 1, d); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Success records a successful login: it resets the pair's counter and
// block, and remembers ip as known for account for KnownFor. The
// account's and the IP's own counters are left alone: one good password
// does not excuse guesses at other accounts, or from other places.
func (t *Throttle) Success(ctx context.Context, account, ip string) error {
	k := keysFor(account, ip)
	return t.run(ctx, func(ctx context.Context, b Backend) error {
		if err := b.Del(ctx, k.pairFail, k.pairBlock); err != nil {
			return err
		}
		return b.Set(ctx, k.known, 1, t.cfg.KnownFor)
	})
}
