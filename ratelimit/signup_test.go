package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// signUp reserves a sign-up from ip and ends it with end, one of the
// Attempt's methods (nil: leave it open). It returns the decision.
func signUp(t *testing.T, th *Throttle, ip string, end func(*Attempt, context.Context) error) Decision {
	t.Helper()
	d, a, err := th.ReserveSignup(t.Context(), ip)
	if err != nil {
		t.Fatalf("ReserveSignup(%q): %v", ip, err)
	}
	if d.Allowed != (a != nil) {
		t.Fatalf("ReserveSignup(%q) = %+v with attempt %v", ip, d, a)
	}
	if end != nil {
		if err := end(a, t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestParallelSignupsFromOneAddressAdmitExactlySignupsPerIP(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			for round := range 5 {
				th := be.new(t)
				var admitted atomic.Int64
				start := make(chan struct{})
				var wg sync.WaitGroup
				for range 30 {
					wg.Go(func() {
						<-start
						d, a, err := th.ReserveSignup(t.Context(), "198.51.100.7")
						if err != nil {
							t.Error(err)
						}
						if d.Allowed {
							admitted.Add(1)
						}
						if err := a.Succeeded(t.Context()); err != nil {
							t.Error(err)
						}
					})
				}
				close(start)
				wg.Wait()
				if n := admitted.Load(); n != 5 {
					t.Errorf("round %d: %d of 30 parallel sign-ups admitted; want 5", round, n)
				}
				if s := th.Stats(); s.Throttled[ReasonSignup] != 25 || s.BackendErrors != 0 {
					t.Errorf("round %d: Stats = %+v; want 25 sign-up refusals, no backend errors", round, s)
				}
			}
		})
	}
}

func TestSignupsFromManyAddressesAffectNoOtherAddressAndNoLogin(t *testing.T) {
	th, clk, m := newMemThrottle(Config{})
	for i := range 11 {
		wantAllowed(t, signUp(t, th, fmt.Sprintf("192.0.2.%d", i), (*Attempt).Succeeded))
	}
	wantAllowed(t, signUp(t, th, "192.0.2.11", (*Attempt).Succeeded))
	for i := range 12 {
		ip := fmt.Sprintf("192.0.2.%d", i)
		if c := countsOf(t, m, clk.Now(), "alice", ip); c != (counts{}) {
			t.Fatalf("login counters of %s after sign-ups: %+v", ip, c)
		}
		wantAllowed(t, decide(t, th, fmt.Sprintf("user%d", i), ip))
	}
}

func TestSignupLimitPerAddress(t *testing.T) {
	cancel, failed, succeeded := (*Attempt).Cancel, (*Attempt).Failed, (*Attempt).Succeeded
	for _, tc := range []struct {
		name string
		cfg  Config
		run  func(t *testing.T, th *Throttle, clk *clock)
	}{
		{"the sixth sign-up waits SignupWindow", Config{}, func(t *testing.T, th *Throttle, clk *clock) {
			for range 5 {
				wantAllowed(t, signUp(t, th, "198.51.100.7", succeeded))
			}
			wantRefused(t, signUp(t, th, "198.51.100.7", nil), ReasonSignup, time.Hour)
			clk.Advance(time.Hour - time.Second)
			wantRefused(t, signUp(t, th, "198.51.100.7", nil), ReasonSignup, time.Second)
			clk.Advance(time.Second)
			wantAllowed(t, signUp(t, th, "198.51.100.7", succeeded))
		}},
		{"failed sign-ups count too", Config{}, func(t *testing.T, th *Throttle, _ *clock) {
			for range 5 {
				wantAllowed(t, signUp(t, th, "198.51.100.7", failed))
			}
			wantRefused(t, signUp(t, th, "198.51.100.7", nil), ReasonSignup, time.Hour)
		}},
		{"a cancelled sign-up is refunded", Config{}, func(t *testing.T, th *Throttle, _ *clock) {
			for range 4 {
				wantAllowed(t, signUp(t, th, "198.51.100.7", succeeded))
			}
			wantAllowed(t, signUp(t, th, "198.51.100.7", cancel))
			wantAllowed(t, signUp(t, th, "198.51.100.7", succeeded))
			wantRefused(t, signUp(t, th, "198.51.100.7", nil), ReasonSignup, time.Hour)
		}},
		{"IPv6 sign-ups count per /64", Config{}, func(t *testing.T, th *Throttle, _ *clock) {
			for i := range 5 {
				wantAllowed(t, signUp(t, th, fmt.Sprintf("2001:db8:1:2::%x", i+1), succeeded))
			}
			wantRefused(t, signUp(t, th, "2001:db8:1:2:ffff::1", nil), ReasonSignup, time.Hour)
			wantAllowed(t, signUp(t, th, "2001:db8:1:3::1", succeeded))
		}},
		{"failed logins from an address do not count against its sign-ups", Config{}, func(t *testing.T, th *Throttle, _ *clock) {
			for i := range 30 {
				guess(t, th, fmt.Sprintf("user%d", i), "198.51.100.7")
			}
			wantAllowed(t, signUp(t, th, "198.51.100.7", succeeded))
		}},
		{"SignupsPerIP and SignupWindow are settings", Config{SignupsPerIP: 2, SignupWindow: 10 * time.Minute}, func(t *testing.T, th *Throttle, _ *clock) {
			wantAllowed(t, signUp(t, th, "198.51.100.7", succeeded))
			wantAllowed(t, signUp(t, th, "198.51.100.7", succeeded))
			wantRefused(t, signUp(t, th, "198.51.100.7", nil), ReasonSignup, 10*time.Minute)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, clk, _ := newMemThrottle(tc.cfg)
			tc.run(t, th, clk)
		})
	}
}
