package ratelimit

import "time"

// Reservation is one counter's share of an attempt: the counter, the block
// that its count earns, and the schedule of waits. The Throttle builds
// them; a Backend applies them atomically (see Backend.Reserve).
type Reservation struct {
	// Count is the counter's key and Block the key of the wait it earned.
	// On Redis Cluster they must hash to one slot (share a hash tag).
	Count, Block string
	// Window is how long the counter lasts after its last count.
	Window time.Duration
	// Free and Steps say what wait the n-th count earns: none up to Free,
	// then Steps in order, the last step repeating for ever.
	Free  int64
	Steps []time.Duration
	// Force counts even while the block is live: the reservation is never
	// refused. For counters that record an attempt without deciding it.
	Force bool
}

// Wait returns the wait that the n-th count earns.
func (r Reservation) Wait(n int64) time.Duration {
	k := n - r.Free
	if k <= 0 || len(r.Steps) == 0 {
		return 0
	}
	return r.Steps[min(k, int64(len(r.Steps)))-1]
}

// Result is a Backend's answer to a Reservation.
type Result struct {
	// Allowed reports that the attempt was counted.
	Allowed bool
	// N is the count that this reservation made (zero when refused).
	N int64
	// Wait is, when refused, what is left of the block; when allowed, the
	// block that this count started (zero for none).
	Wait time.Duration
}
