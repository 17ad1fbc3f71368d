package resilient_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testdb"
	"github.com/gatehouse/gatehouse/store/resilient"
)

// frozen is a store whose reads and writes of users hang until their
// context ends, as on a database that stopped answering; the rest is a
// real SQLite store.
type frozen struct {
	gatehouse.Store
}

func (f *frozen) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *frozen) WaitRevocations(ctx context.Context, since int64) error {
	<-ctx.Done()
	return ctx.Err()
}

type observed struct {
	mu    sync.Mutex
	calls []string
	errs  []error
}

func (o *observed) observe(op string, _ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, op)
	o.errs = append(o.errs, err)
}

func TestACallPastItsDeadlineIsUnavailable(t *testing.T) {
	obs := &observed{}
	st := resilient.Wrap(&frozen{Store: testdb.SQLite(t)}, resilient.Config{Timeout: 50 * time.Millisecond, Observe: obs.observe})
	_, err := st.UserByID(context.Background(), "u1")
	if !errors.Is(err, gatehouse.ErrUnavailable) || resilient.Cause(err) != resilient.CauseTimeout {
		t.Fatalf("UserByID on a frozen store = %v, want ErrUnavailable (timeout)", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the driver's error is lost: %v", err)
	}
	if len(obs.calls) != 1 || obs.calls[0] != "UserByID" || !errors.Is(obs.errs[0], gatehouse.ErrUnavailable) {
		t.Errorf("Observe saw %v %v, want one UserByID with its error", obs.calls, obs.errs)
	}
}

func TestTheCallersOwnCancellationIsNotUnavailable(t *testing.T) {
	st := resilient.Wrap(&frozen{Store: testdb.SQLite(t)}, resilient.Config{Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	_, err := st.UserByID(ctx, "u1")
	if !errors.Is(err, context.Canceled) || errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("UserByID after the caller gave up = %v, want context.Canceled only", err)
	}
}

func TestWaitRevocationsHasNoDeadlineOfItsOwn(t *testing.T) {
	st := resilient.Wrap(&frozen{Store: testdb.SQLite(t)}, resilient.Config{Timeout: 10 * time.Millisecond})
	// The caller's wait is 30 times the call deadline: a long poll ends
	// when its caller says, not at the deadline of a query.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := st.WaitRevocations(ctx, 0)
	if ctx.Err() == nil {
		t.Fatalf("WaitRevocations returned %v before its caller's context ended", err)
	}
	if errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("WaitRevocations ended by its caller = %v, want no ErrUnavailable", err)
	}
}

func TestDomainAnswersPassThrough(t *testing.T) {
	st := resilient.Wrap(testdb.SQLite(t), resilient.Config{})
	_, err := st.UserByID(context.Background(), "nobody")
	if !errors.Is(err, gatehouse.ErrNotFound) || errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("UserByID of nobody = %v, want ErrNotFound only", err)
	}
	if err := st.Health(context.Background()); err != nil {
		t.Fatalf("Health of a working store = %v", err)
	}
}

func TestRepeatedFailuresAreLoggedOncePerCausePerInterval(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st := resilient.Wrap(&frozen{Store: testdb.SQLite(t)}, resilient.Config{
		Timeout: time.Millisecond, LogEvery: 10 * time.Second, Now: clock,
		Logger: slog.New(slog.NewJSONHandler(&buf, nil)),
	})
	for range 50 {
		st.UserByID(context.Background(), "u1")
	}
	advance(9 * time.Second)
	st.UserByID(context.Background(), "u1")
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("51 failures within the interval wrote %d lines, want 1:\n%s", n, buf.String())
	}
	advance(time.Second)
	st.UserByID(context.Background(), "u1")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("after the interval: %d lines, want 2:\n%s", len(lines), buf.String())
	}
	for _, want := range []string{`"cause":"timeout"`, `"op":"UserByID"`, `"suppressed":50`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("second line %s lacks %s", lines[1], want)
		}
	}
}

func TestCloseWithinGivesUpOnAStoreThatDoesNotClose(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	st := resilient.Wrap(&stuckClose{Store: testdb.SQLite(t), release: release}, resilient.Config{})
	err := st.CloseWithin(20 * time.Millisecond)
	if !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("CloseWithin on a stuck store = %v, want ErrUnavailable", err)
	}
}

type stuckClose struct {
	gatehouse.Store
	release chan struct{}
}

func (s *stuckClose) Close() error { <-s.release; return s.Store.Close() }

// frozenWrites is a real SQLite store (it probes writes for real) whose
// RevokeSession hangs, as a write that cannot commit.
type frozenWrites struct{ gatehouse.Store }

func (f frozenWrites) RevokeSession(ctx context.Context, id, reason string, at time.Time) error {
	<-ctx.Done()
	return ctx.Err()
}

func (f frozenWrites) ProbeWrite(ctx context.Context) error {
	return f.Store.(resilient.WriteProber).ProbeWrite(ctx)
}

func TestAFailedWriteKeepsHealthFailingForAMomentThoughTheProbeSucceeds(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := resilient.Wrap(frozenWrites{testdb.SQLite(t)}, resilient.Config{Timeout: 20 * time.Millisecond, Now: clock})
	ctx := context.Background()
	if err := st.Health(ctx); err != nil {
		t.Fatalf("Health before any failure: %v", err)
	}
	if err := st.RevokeSession(ctx, "s1", "test", now); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("RevokeSession = %v, want ErrUnavailable", err)
	}
	if err := st.Health(ctx); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("Health just after a write failed = %v, want ErrUnavailable", err)
	}
	mu.Lock()
	now = now.Add(5 * time.Second)
	mu.Unlock()
	if err := st.Health(ctx); err != nil {
		t.Fatalf("Health once the failure is old and the probe succeeds = %v, want nil", err)
	}
}
