package ratelimit

import "sync/atomic"

// Stats are a Throttle's counters since it was created.
type Stats struct {
	// Throttled counts refused attempts by reason (the Reason constants).
	Throttled map[string]uint64
	// BackendErrors counts failed calls to the shared backend.
	BackendErrors uint64
	// Outages counts the times the shared backend became unreachable.
	Outages uint64
	// Fallback is true while the Throttle counts on local counters only.
	Fallback bool
}

var reasons = [...]string{ReasonPair, ReasonAccount, ReasonIP, ReasonGlobal, ReasonSignup}

// stats is the lock-free state behind Stats and the Prometheus collectors.
type stats struct {
	throttled     [len(reasons)]atomic.Uint64
	backendErrors atomic.Uint64
	outages       atomic.Uint64
	fallback      atomic.Bool
}

func (s *stats) refused(reason string) {
	for i, r := range reasons {
		if r == reason {
			s.throttled[i].Add(1)
		}
	}
}

// Stats returns the Throttle's counters.
func (t *Throttle) Stats() Stats {
	s := Stats{
		Throttled:     make(map[string]uint64, len(reasons)),
		BackendErrors: t.stats.backendErrors.Load(),
		Outages:       t.stats.outages.Load(),
		Fallback:      t.stats.fallback.Load(),
	}
	for i, r := range reasons {
		s.Throttled[r] = t.stats.throttled[i].Load()
	}
	return s
}
