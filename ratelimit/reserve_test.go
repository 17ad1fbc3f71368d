package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// The pair table of docs/throttling.md, attempt by attempt, through
// Reserve and Failed: attempts 1–5 free, then 1 s doubling to the
// 15-minute cap, a refused attempt told exactly the rest of the wait.
func TestReservedFailuresFollowTheDocumentedTable(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{})
	waits := map[int]time.Duration{
		6: time.Second, 7: 2 * time.Second, 8: 4 * time.Second, 9: 8 * time.Second,
		10: 16 * time.Second, 11: 32 * time.Second, 12: 64 * time.Second,
		13: 128 * time.Second, 14: 256 * time.Second, 15: 512 * time.Second,
		16: 15 * time.Minute, 17: 15 * time.Minute, 18: 15 * time.Minute,
	}
	for attempt := 1; attempt <= 18; attempt++ {
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
		wait := waits[attempt]
		if wait == 0 {
			continue
		}
		wantRefused(t, guess(t, th, "alice", "198.51.100.7"), ReasonPair, wait)
		clk.Advance(wait - time.Millisecond)
		wantRefused(t, guess(t, th, "alice", "198.51.100.7"), ReasonPair, time.Millisecond)
		clk.Advance(time.Millisecond)
	}
}

func TestTheWaitAFailureEarnsStartsWhenItFails(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{})
	for range 5 {
		guess(t, th, "alice", "198.51.100.7")
	}
	d, a := reserveLogin(t, th, "alice", "198.51.100.7")
	wantAllowed(t, d)
	clk.Advance(300 * time.Millisecond) // the password hash
	if err := a.Failed(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, decide(t, th, "alice", "198.51.100.7"), ReasonPair, time.Second)
}

func TestAnAttemptsOutcomeSettlesWhatItCounted(t *testing.T) {
	const owner, other = "203.0.113.10", "198.51.100.7"
	four := func(t *testing.T, th *Throttle, ip string) {
		for range 4 {
			wantAllowed(t, guess(t, th, "alice", ip))
		}
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, th *Throttle)
		ip   string
		want counts
	}{
		{"failures from a known IP count on the pair, the IP and the global bound, not the account",
			func(t *testing.T, th *Throttle) { logIn(t, th, "alice", owner); four(t, th, owner) },
			owner, counts{pair: 4, ip: 4, global: 4}},
		{"a success from a known IP leaves the counts of the failures before it, the pair reset",
			func(t *testing.T, th *Throttle) {
				logIn(t, th, "alice", owner)
				four(t, th, owner)
				logIn(t, th, "alice", owner)
			},
			owner, counts{ip: 4, global: 4}},
		{"a success from an unknown IP is refunded from the account, the IP and the global bound",
			func(t *testing.T, th *Throttle) { four(t, th, other); logIn(t, th, "alice", other) },
			other, counts{account: 4, ip: 4, global: 4}},
		{"a cancelled attempt is refunded from every counter",
			func(t *testing.T, th *Throttle) { four(t, th, other); decide(t, th, "alice", other) },
			other, counts{pair: 4, account: 4, ip: 4, global: 4}},
		{"a failed attempt stays counted everywhere",
			func(t *testing.T, th *Throttle) { four(t, th, other); guess(t, th, "alice", other) },
			other, counts{pair: 5, account: 5, ip: 5, global: 5}},
	} {
		for _, be := range backends {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				th := be.new(t)
				tc.run(t, th)
				if got := countsOf(t, th.primary, th.cfg.Now(), "alice", tc.ip); got != tc.want {
					t.Fatalf("counts %+v; want %+v", got, tc.want)
				}
			})
		}
	}
}

func TestASuccessLiftsTheWaitItsReservationEarned(t *testing.T) {
	th, _, _ := newMemThrottle(Config{})
	for i := range 10 {
		guess(t, th, "alice", fmt.Sprintf("192.0.2.%d", i))
	}
	// The eleventh attempt from an unknown IP blocks the account while it
	// is in flight; it is the owner, from a new network, and succeeds.
	logIn(t, th, "alice", "203.0.113.99")
	wantAllowed(t, decide(t, th, "alice", "192.0.2.200"))
	guess(t, th, "alice", "192.0.2.10") // the real eleventh failure
	wantRefused(t, decide(t, th, "alice", "192.0.2.201"), ReasonAccount, time.Second)
}

func TestARefusedAttemptCountsNowhere(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, th *Throttle)
		reason string
	}{
		{"refused by the pair, the first counter", func(t *testing.T, th *Throttle) {
			for range 6 {
				guess(t, th, "alice", "198.51.100.7")
			}
		}, ReasonPair},
		{"refused by the IP, after the pair and account were reserved", func(t *testing.T, th *Throttle) {
			for i := range 21 {
				guess(t, th, fmt.Sprintf("user%d", i), "198.51.100.7")
			}
		}, ReasonIP},
	} {
		for _, be := range backends {
			t.Run(be.name+"/"+tc.name, func(t *testing.T) {
				th := be.new(t)
				tc.setup(t, th)
				before := countsOf(t, th.primary, th.cfg.Now(), "alice", "198.51.100.7")
				d, _ := reserveLogin(t, th, "alice", "198.51.100.7")
				if d.Allowed || d.Reason != tc.reason {
					t.Fatalf("decision %+v; want refused (%s)", d, tc.reason)
				}
				if after := countsOf(t, th.primary, th.cfg.Now(), "alice", "198.51.100.7"); after != before {
					t.Fatalf("counts %+v after a refusal; %+v before", after, before)
				}
			})
		}
	}
}

func TestOnlyTheFirstEndOfAnAttemptCounts(t *testing.T) {
	type end func(a *Attempt) error
	var (
		failed    end = func(a *Attempt) error { return a.Failed(t.Context()) }
		succeeded end = func(a *Attempt) error { return a.Succeeded(t.Context()) }
		cancel    end = func(a *Attempt) error { return a.Cancel(t.Context()) }
	)
	for _, tc := range []struct {
		name        string
		first, then end
		want        counts
	}{
		{"failed, then cancelled: stays counted", failed, cancel, counts{1, 1, 1, 1}},
		{"failed, then succeeded: stays counted", failed, succeeded, counts{1, 1, 1, 1}},
		{"cancelled, then failed: stays refunded", cancel, failed, counts{}},
		{"succeeded, then cancelled: refunded once", succeeded, cancel, counts{}},
		{"failed twice: counted once", failed, failed, counts{1, 1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, clk, m := newMemThrottle(Config{})
			_, a := reserveLogin(t, th, "alice", "198.51.100.7")
			if err := tc.first(a); err != nil {
				t.Fatal(err)
			}
			if err := tc.then(a); err != nil {
				t.Fatalf("a second end: %v; want nil", err)
			}
			if got := countsOf(t, m, clk.Now(), "alice", "198.51.100.7"); got != tc.want {
				t.Fatalf("counts %+v; want %+v", got, tc.want)
			}
		})
	}
	t.Run("a nil attempt ends without error", func(t *testing.T) {
		var a *Attempt
		for _, end := range []end{failed, succeeded, cancel} {
			if err := end(a); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// The backends apply the Steps of a Reservation; they must be Config.Delay.
func TestReservationWaitsAreConfigDelay(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{BaseDelay: time.Nanosecond, MaxDelay: 15 * time.Minute},
		{BaseDelay: 3 * time.Second, MaxDelay: 10 * time.Second},
		{BaseDelay: time.Minute, MaxDelay: time.Minute},
		{BaseDelay: time.Hour, MaxDelay: time.Second}, // MaxDelay raised to BaseDelay
	} {
		steps := cfg.backoff()
		if len(steps) > 63 {
			t.Errorf("%+v: %d steps", cfg, len(steps))
		}
		for _, free := range []int{0, 1, 5, 20} {
			r := Reservation{Free: int64(free), Steps: steps}
			for _, n := range []int64{0, 1, 2, 5, 6, 7, 10, 21, 22, 40, 64, 70, 100, 1 << 40} {
				if got, want := r.Wait(n), cfg.Delay(n, free); got != want {
					t.Errorf("%+v, %d free: Wait(%d) = %v; Delay = %v", cfg, free, n, got, want)
				}
			}
		}
	}
}
