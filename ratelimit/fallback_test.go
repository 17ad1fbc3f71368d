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

	// Logins keep working, and are still throttled, on local counters.
	for range 5 {
		wantAllowed(t, check(t, th, "alice", "198.51.100.7"))
		fail(t, th, "alice", "198.51.100.7")
		clk.Advance(3 * time.Second) // crosses RetryBackend: Redis is retried, and fails again
	}
	fail(t, th, "alice", "198.51.100.7")
	wantRefused(t, check(t, th, "alice", "198.51.100.7"), ReasonPair, time.Second)
	succeed(t, th, "alice", "198.51.100.7")
	wantAllowed(t, check(t, th, "alice", "198.51.100.7"))

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

func (f *flaky) Get(ctx context.Context, keys ...string) ([]Entry, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return nil, errDown
	}
	return f.Memory.Get(ctx, keys...)
}

func TestBackendRecoveryIsLoggedAndOutagesCounted(t *testing.T) {
	clk := newClock()
	logs := &logRecorder{}
	b := &flaky{Memory: NewMemory(clk.Now)}
	th := New(b, Config{Now: clk.Now, Logger: slog.New(logs), RetryBackend: 10 * time.Second})

	check(t, th, "alice", "198.51.100.7")
	b.down.Store(true)
	check(t, th, "alice", "198.51.100.7") // fails over
	before := b.calls.Load()
	for range 50 {
		check(t, th, "alice", "198.51.100.7")
	}
	if n := b.calls.Load() - before; n != 0 {
		t.Errorf("%d calls to a backend known to be down within RetryBackend; want 0", n)
	}
	b.down.Store(false)
	check(t, th, "alice", "198.51.100.7")
	if !th.Stats().Fallback {
		t.Fatal("back on the backend before RetryBackend passed")
	}
	clk.Advance(10 * time.Second)
	check(t, th, "alice", "198.51.100.7")
	if s := th.Stats(); s.Fallback || s.Outages != 1 {
		t.Fatalf("after recovery Stats = %+v", s)
	}
	if logs.count(slog.LevelWarn) != 1 || logs.count(slog.LevelInfo) != 1 {
		t.Fatalf("logged %d warnings and %d infos; want one of each", logs.count(slog.LevelWarn), logs.count(slog.LevelInfo))
	}

	b.down.Store(true)
	check(t, th, "alice", "198.51.100.7")
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
	if _, err := th.Check(ctx, "alice", "198.51.100.7"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Check with a cancelled context = %v", err)
	}
	if s := th.Stats(); s.Outages != 0 || s.Fallback {
		t.Fatalf("Stats = %+v; want no outage", s)
	}
}
