package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// closedPort returns an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestUnreachableRedisFallsBackToLocalCounters(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1, DialerRetries: 1})
	defer client.Close()
	clk := newClock()
	logs := &logRecorder{}
	th := New(NewRedis(client, "gatehouse-test:"), Config{
		Now: clk.Now, Logger: slog.New(logs), RetryBackend: 10 * time.Second,
	})

	// Logins and sign-ups keep working, and are still throttled, on local
	// counters.
	for range 5 {
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
		clk.Advance(3 * time.Second) // crosses RetryBackend: Redis is retried, and fails again
	}
	wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	wantRefused(t, decide(t, th, "alice", "198.51.100.7"), ReasonPair, time.Second)
	clk.Advance(time.Second)
	logIn(t, th, "alice", "198.51.100.7")
	wantAllowed(t, decide(t, th, "alice", "198.51.100.7"))
	wantAllowed(t, signUp(t, th, "198.51.100.7", (*Attempt).Succeeded))

	if n := logs.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings logged for one outage; want 1", n)
	}
	s := th.Stats()
	if !s.Fallback || s.Outages != 1 || s.BackendErrors < 2 {
		t.Errorf("Stats = %+v; want Fallback, 1 outage, several errors", s)
	}
}

// flaky is a Backend that fails while down is set.
type flaky struct {
	*Memory
	down  atomic.Bool
	calls atomic.Int64
}

var errDown = errors.New("backend down")

// call counts a call and fails it while down.
func (f *flaky) call() error {
	f.calls.Add(1)
	if f.down.Load() {
		return errDown
	}
	return nil
}

func (f *flaky) Get(ctx context.Context, keys ...string) ([]Entry, error) {
	if err := f.call(); err != nil {
		return nil, err
	}
	return f.Memory.Get(ctx, keys...)
}

func (f *flaky) Set(ctx context.Context, key string, value int64, ttl time.Duration) error {
	if err := f.call(); err != nil {
		return err
	}
	return f.Memory.Set(ctx, key, value, ttl)
}

func (f *flaky) Del(ctx context.Context, keys ...string) error {
	if err := f.call(); err != nil {
		return err
	}
	return f.Memory.Del(ctx, keys...)
}

func (f *flaky) Reserve(ctx context.Context, r Reservation) (Result, error) {
	if err := f.call(); err != nil {
		return Result{}, err
	}
	return f.Memory.Reserve(ctx, r)
}

func (f *flaky) Refund(ctx context.Context, r Reservation, n int64) error {
	if err := f.call(); err != nil {
		return err
	}
	return f.Memory.Refund(ctx, r, n)
}

func (f *flaky) Restart(ctx context.Context, r Reservation, n int64, wait time.Duration) error {
	if err := f.call(); err != nil {
		return err
	}
	return f.Memory.Restart(ctx, r, n, wait)
}

func TestBackendRecoveryIsLoggedAndOutagesCounted(t *testing.T) {
	clk := newClock()
	logs := &logRecorder{}
	b := &flaky{Memory: NewMemory(clk.Now)}
	th := New(b, Config{Now: clk.Now, Logger: slog.New(logs), RetryBackend: 10 * time.Second})

	decide(t, th, "alice", "198.51.100.7")
	b.down.Store(true)
	decide(t, th, "alice", "198.51.100.7") // fails over
	before := b.calls.Load()
	for range 50 {
		decide(t, th, "alice", "198.51.100.7")
	}
	if n := b.calls.Load() - before; n != 0 {
		t.Errorf("%d calls to a backend known to be down within RetryBackend; want 0", n)
	}
	b.down.Store(false)
	decide(t, th, "alice", "198.51.100.7")
	if !th.Stats().Fallback {
		t.Fatal("back on the backend before RetryBackend passed")
	}
	clk.Advance(10 * time.Second)
	decide(t, th, "alice", "198.51.100.7")
	if s := th.Stats(); s.Fallback || s.Outages != 1 {
		t.Fatalf("after recovery Stats = %+v", s)
	}
	if logs.count(slog.LevelWarn) != 1 || logs.count(slog.LevelInfo) != 1 {
		t.Fatalf("logged %d warnings and %d infos; want one of each", logs.count(slog.LevelWarn), logs.count(slog.LevelInfo))
	}

	b.down.Store(true)
	decide(t, th, "alice", "198.51.100.7")
	if s := th.Stats(); !s.Fallback || s.Outages != 2 || logs.count(slog.LevelWarn) != 2 {
		t.Fatalf("a second outage: Stats = %+v, %d warnings", s, logs.count(slog.LevelWarn))
	}
}

func TestACancelledRequestIsNotAnOutage(t *testing.T) {
	clk := newClock()
	b := &flaky{Memory: NewMemory(clk.Now)}
	b.down.Store(true)
	th := New(b, Config{Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, a, err := th.Reserve(ctx, "alice", "198.51.100.7"); !errors.Is(err, context.Canceled) || a != nil {
		t.Fatalf("Reserve with a cancelled context = %v, attempt %v; want %v and none", err, a, context.Canceled)
	}
	if s := th.Stats(); s.Outages != 0 || s.Fallback {
		t.Fatalf("Stats = %+v; want no outage", s)
	}
}

func TestAnAttemptEndsOnTheBackendItWasReservedOn(t *testing.T) {
	const account, ip = "alice", "198.51.100.7"
	one := counts{1, 1, 1, 1}
	for _, tc := range []struct {
		name string
		// run reserves and ends an attempt, moving the backend up and down.
		run                func(t *testing.T, th *Throttle, b *flaky, clk *clock)
		primary, fallback  counts
		fallbackAfterwards bool
	}{
		{"reserved locally during an outage, cancelled after it: refunded locally",
			func(t *testing.T, th *Throttle, b *flaky, clk *clock) {
				b.down.Store(true)
				_, a := reserveLogin(t, th, account, ip)
				if c := countsOf(t, th.local, clk.Now(), account, ip); c != one {
					t.Fatalf("local counts %+v while reserved; want %+v", c, one)
				}
				b.down.Store(false)
				clk.Advance(10 * time.Second)
				decide(t, th, "bob", ip) // back on the backend
				if err := a.Cancel(t.Context()); err != nil {
					t.Fatal(err)
				}
			}, counts{}, counts{}, false},
		{"reserved on the backend, cancelled while the Throttle counts locally: refunded on the backend",
			func(t *testing.T, th *Throttle, b *flaky, _ *clock) {
				_, a := reserveLogin(t, th, account, ip)
				b.down.Store(true)
				decide(t, th, "bob", ip) // the Throttle moves to local counters
				b.down.Store(false)
				if err := a.Cancel(t.Context()); err != nil {
					t.Fatal(err)
				}
			}, counts{}, counts{}, false},
		{"reserved on the backend, which fails before the end: the error is reported and the local counters untouched",
			func(t *testing.T, th *Throttle, b *flaky, _ *clock) {
				_, a := reserveLogin(t, th, account, ip)
				b.down.Store(true)
				if err := a.Cancel(t.Context()); !errors.Is(err, errDown) {
					t.Fatalf("Cancel on a failing backend = %v; want %v", err, errDown)
				}
			}, one, counts{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			b := &flaky{Memory: NewMemory(clk.Now)}
			th := New(b, Config{Now: clk.Now, Logger: slog.New(slog.DiscardHandler), RetryBackend: 10 * time.Second})
			tc.run(t, th, b, clk)
			if c := countsOf(t, b.Memory, clk.Now(), account, ip); c != tc.primary {
				t.Errorf("backend counts %+v; want %+v", c, tc.primary)
			}
			if c := countsOf(t, th.local, clk.Now(), account, ip); c != tc.fallback {
				t.Errorf("local counts %+v; want %+v", c, tc.fallback)
			}
			if s := th.Stats(); s.Fallback != tc.fallbackAfterwards {
				t.Errorf("Stats = %+v; want Fallback %v", s, tc.fallbackAfterwards)
			}
		})
	}
}
