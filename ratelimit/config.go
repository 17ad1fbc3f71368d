package ratelimit

import (
	"log/slog"
	"time"
)

// Config tunes a Throttle. The zero value of a field means its default.
type Config struct {
	// PairFree is how many failures one account may have from one client
	// IP before backoff starts. Default 5.
	PairFree int
	// AccountFree is how many failures one account may have from IPs not
	// known for it before those IPs back off. Default 10.
	AccountFree int
	// IPFree is how many failures one client IP may have across accounts
	// before it backs off (for accounts it is not known for). Default 20.
	IPFree int

	// BaseDelay is the first delay; each further failure doubles it, up to
	// MaxDelay. Defaults 1s and 15m.
	BaseDelay, MaxDelay time.Duration
	// Window is how long a failure counter lasts after its last failure.
	// Default 24h; at least 2×MaxDelay.
	Window time.Duration
	// KnownFor is how long an IP stays known for an account after a
	// successful login from it. Default 30 days.
	KnownFor time.Duration

	// GlobalPerSecond bounds failed logins per second across the server
	// (all replicas sharing the backend); past it, IPs not known for the
	// account are refused until the next second. Default 100; negative
	// means no global bound.
	GlobalPerSecond int

	// SignupsPerIP is how many sign-ups one client IP may make before it
	// must wait SignupWindow; the window restarts with each sign-up. It is
	// counted apart from logins. Default 5.
	SignupsPerIP int
	// SignupWindow is how long a client IP's sign-ups are remembered, and
	// how long it waits once it has made SignupsPerIP. Default 1h.
	SignupWindow time.Duration

	// BackendTimeout bounds each call to the backend. Default 500ms.
	BackendTimeout time.Duration
	// RetryBackend is how long the Throttle uses its local counters after
	// the backend failed before it tries the backend again. Default 10s.
	RetryBackend time.Duration

	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives the backend outage warnings. Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.PairFree, 5)
	def(&c.AccountFree, 10)
	def(&c.IPFree, 20)
	defDur(&c.BaseDelay, time.Second)
	defDur(&c.MaxDelay, 15*time.Minute)
	c.MaxDelay = max(c.MaxDelay, c.BaseDelay)
	defDur(&c.Window, 24*time.Hour)
	c.Window = max(c.Window, 2*c.MaxDelay)
	defDur(&c.KnownFor, 30*24*time.Hour)
	if c.GlobalPerSecond == 0 {
		c.GlobalPerSecond = 100
	}
	def(&c.SignupsPerIP, 5)
	defDur(&c.SignupWindow, time.Hour)
	defDur(&c.BackendTimeout, 500*time.Millisecond)
	defDur(&c.RetryBackend, 10*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Delay returns how long the next attempt must wait after the n-th
// consecutive failure when free failures are allowed without delay:
// zero up to free, then BaseDelay, doubling each time, capped at MaxDelay.
func (c Config) Delay(n int64, free int) time.Duration {
	c = c.withDefaults()
	k := n - int64(free) - 1
	if k < 0 {
		return 0
	}
	if k >= 62 {
		return c.MaxDelay
	}
	d := c.BaseDelay << k
	if d <= 0 || d > c.MaxDelay || d>>k != c.BaseDelay {
		return c.MaxDelay
	}
	return d
}

// backoff is the schedule of Delay after the free failures: BaseDelay,
// doubling, up to and ending with MaxDelay (at most 63 steps), as a
// Reservation's Steps.
func (c Config) backoff() []time.Duration {
	c = c.withDefaults()
	var steps []time.Duration
	for n := int64(1); ; n++ {
		d := c.Delay(n, 0)
		steps = append(steps, d)
		if d >= c.MaxDelay {
			return steps
		}
	}
}
