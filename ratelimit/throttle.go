package ratelimit

import "time"

// Reasons for a refusal, for logs and metrics. Do not send them to the
// client: the answer to a throttled login is the same whatever the reason.
const (
	ReasonPair    = "account+ip"
	ReasonAccount = "account"
	ReasonIP      = "ip"
	ReasonGlobal  = "global"
	// ReasonSignup refuses a sign-up: too many from the client IP.
	ReasonSignup = "signup"
)

// Decision is the answer to a login (or sign-up) attempt.
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

// Throttle decides whether a login or sign-up attempt may proceed, and
// counts it. It is safe for concurrent use.
type Throttle struct {
	cfg     Config
	backoff []time.Duration // Config.Delay after the free failures
	primary Backend
	local   *Memory // nil when primary is itself in process
	health  health
	stats   stats
}

// New returns a Throttle counting in b. Unless b is a *Memory, the
// Throttle keeps a local Memory to fall back on while b fails.
func New(b Backend, cfg Config) *Throttle {
	cfg = cfg.withDefaults()
	t := &Throttle{cfg: cfg, backoff: cfg.backoff(), primary: b}
	if _, inProcess := b.(*Memory); !inProcess {
		t.local = NewMemory(cfg.Now)
	}
	return t
}
