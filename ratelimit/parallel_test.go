package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// attempt is a login with a wrong password: Reserve decides before the
// password is checked, and finish (Attempt.Failed) records the failure
// after it.
func attempt(ctx context.Context, th *Throttle, account, ip string) (admitted bool, finish func() error, err error) {
	d, a, err := th.Reserve(ctx, account, ip)
	return d.Allowed, func() error { return a.Failed(ctx) }, err
}

// login is one attempt of a burst.
type login struct{ account, ip string }

// burst returns n logins named by who(i).
func burst(n int, who func(i int) login) []login {
	out := make([]login, n)
	for i := range out {
		out[i] = who(i)
	}
	return out
}

// sequentially makes the logins one at a time, each finished before the
// next begins, and returns how many were admitted.
func sequentially(t *testing.T, th *Throttle, logins []login) int {
	t.Helper()
	n := 0
	for _, l := range logins {
		ok, finish, err := attempt(t.Context(), th, l.account, l.ip)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			n++
		}
		if err := finish(); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// inParallel starts the logins together (each goroutine waits on a closed
// channel), lets every one be decided before any is finished — as when
// all are in flight while the passwords are hashed — and returns how many
// were admitted.
func inParallel(t *testing.T, th *Throttle, logins []login) int {
	t.Helper()
	var (
		admitted atomic.Int64
		decided  sync.WaitGroup
		done     sync.WaitGroup
		start    = make(chan struct{})
		checked  = make(chan struct{})
	)
	for _, l := range logins {
		decided.Add(1)
		done.Go(func() {
			<-start
			ok, finish, err := attempt(t.Context(), th, l.account, l.ip)
			if err != nil {
				t.Error(err)
			}
			if ok {
				admitted.Add(1)
			}
			decided.Done()
			<-checked
			if err := finish(); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	decided.Wait()
	close(checked)
	done.Wait()
	return int(admitted.Load())
}

// backends makes fresh Throttles on each backend, with the default policy.
// The first delay is a minute rather than a second so that no block
// expires on Redis's real clock while a test runs; the counts do not
// depend on it. BackendTimeout is generous because sixty goroutines share
// the client's pool: a fallback to local counters would fail the test.
var backends = []struct {
	name string
	new  func(t *testing.T) *Throttle
}{
	{"memory", func(*testing.T) *Throttle {
		th, _, _ := newMemThrottle(Config{BaseDelay: time.Minute})
		return th
	}},
	{"redis", func(t *testing.T) *Throttle {
		client, prefix := testRedis(t)
		return New(NewRedis(client, prefix), Config{BaseDelay: time.Minute, BackendTimeout: 10 * time.Second,
			Now: newClock().Now, Logger: slog.New(slog.DiscardHandler)})
	}},
}

func TestParallelGuessesAreAdmittedNoMoreThanSequentialOnes(t *testing.T) {
	const n, rounds = 60, 5
	scenarios := []struct {
		name   string
		logins []login
		want   int // one at a time, by docs/throttling.md
	}{
		{"one account from one unknown IP: the pair's free failures and one more",
			burst(n, func(int) login { return login{"alice", "198.51.100.7"} }), 5 + 1},
		{"many accounts from one IP: the IP's free failures and one more",
			burst(n, func(i int) login { return login{fmt.Sprintf("user%d", i), "198.51.100.7"} }), 20 + 1},
		{"one account from many IPs: the account's free failures and one more",
			burst(n, func(i int) login { return login{"alice", fmt.Sprintf("192.0.2.%d", i)} }), 10 + 1},
	}
	for _, be := range backends {
		for _, sc := range scenarios {
			t.Run(be.name+"/"+sc.name, func(t *testing.T) {
				if seq := sequentially(t, be.new(t), sc.logins); seq != sc.want {
					t.Fatalf("one at a time: %d admitted; the policy says %d", seq, sc.want)
				}
				for round := range rounds {
					th := be.new(t)
					if got := inParallel(t, th, sc.logins); got != sc.want {
						t.Errorf("round %d: %d of %d parallel guesses admitted; %d one at a time", round, got, n, sc.want)
					}
					if s := th.Stats(); s.BackendErrors != 0 {
						t.Fatalf("round %d: the backend failed (%+v): not a test of it", round, s)
					}
				}
			})
		}
	}
}
