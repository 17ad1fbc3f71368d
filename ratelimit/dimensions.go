package ratelimit

import "time"

// A dimension is one counter that an attempt is reserved against, with
// what the attempt's outcome does to it.
type dimension struct {
	reason string
	res    Reservation
	// onSuccess is what Attempt.Succeeded does with the reservation.
	onSuccess settle
	// restart: Attempt.Failed starts the wait this count earned afresh, so
	// that it runs from the failure rather than from the reservation.
	restart bool
}

// settle is what a successful outcome does to a reservation.
type settle uint8

const (
	refundOnSuccess settle = iota // a success is not a failure: uncount it
	resetOnSuccess                // a success clears the counter and its block
	keepOnSuccess                 // the attempt counts whatever its outcome
)

// loginDims are the counters of a login for the keys k, in the order they
// are reserved: the pair, then (from an IP not known for the account) the
// account, then the IP and the global bound. From a known IP the IP and
// global counters still count the attempt (Force) but do not decide it.
func (t *Throttle) loginDims(k keys, known bool, now time.Time) []dimension {
	backoff := func(reason, count, block string, free int, force bool, onSuccess settle) dimension {
		return dimension{
			reason: reason,
			res: Reservation{Count: count, Block: block, Window: t.cfg.Window,
				Free: int64(free), Steps: t.backoff, Force: force},
			onSuccess: onSuccess,
			restart:   true,
		}
	}
	dims := make([]dimension, 0, 4)
	dims = append(dims, backoff(ReasonPair, k.pairFail, k.pairBlock, t.cfg.PairFree, false, resetOnSuccess))
	if !known {
		dims = append(dims, backoff(ReasonAccount, k.acctFail, k.acctBlock, t.cfg.AccountFree, false, refundOnSuccess))
	}
	dims = append(dims, backoff(ReasonIP, k.ipFail, k.ipBlock, t.cfg.IPFree, known, refundOnSuccess))
	if t.cfg.GlobalPerSecond > 0 {
		fail, block := globalKeys(now)
		rest := now.Truncate(time.Second).Add(time.Second).Sub(now)
		dims = append(dims, dimension{
			reason: ReasonGlobal,
			res: Reservation{Count: fail, Block: block, Window: 2 * time.Second,
				Free: int64(t.cfg.GlobalPerSecond - 1), Steps: []time.Duration{rest}, Force: known},
			onSuccess: refundOnSuccess,
		})
	}
	return dims
}

// signupDim is the sign-up counter of ip: SignupsPerIP free, then a block
// of SignupWindow. Every sign-up attempt that is not cancelled counts.
func (t *Throttle) signupDim(ip string) dimension {
	fail, block := signupKeys(ip)
	return dimension{
		reason: ReasonSignup,
		res: Reservation{Count: fail, Block: block, Window: t.cfg.SignupWindow,
			Free: int64(t.cfg.SignupsPerIP - 1), Steps: []time.Duration{t.cfg.SignupWindow}},
		onSuccess: keepOnSuccess,
	}
}
