package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testclock"
)

// clock is the settable clock shared with the code under test.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

// logRecorder is a slog.Handler that keeps the records it is given.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r)
	return nil
}

// count returns how many records of level were logged.
func (l *logRecorder) count(level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level == level {
			n++
		}
	}
	return n
}

// newMemThrottle returns a Throttle on a Memory backend with a fake clock.
func newMemThrottle(cfg Config) (*Throttle, *clock, *Memory) {
	c := newClock()
	cfg.Now = c.Now
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := NewMemory(c.Now)
	return New(m, cfg), c, m
}

func wantAllowed(t *testing.T, d Decision) {
	t.Helper()
	if !d.Allowed || d.RetryAfter != 0 {
		t.Fatalf("decision %+v; want allowed", d)
	}
}

func wantRefused(t *testing.T, d Decision, reason string, retryAfter time.Duration) {
	t.Helper()
	if d.Allowed || d.Reason != reason || d.RetryAfter != retryAfter {
		t.Fatalf("decision %+v; want refused (%s) for %v", d, reason, retryAfter)
	}
}

// guess is a login with a wrong password: Reserve, then Failed if
// admitted. It returns the decision.
func guess(t *testing.T, th *Throttle, account, ip string) Decision {
	t.Helper()
	d, a := reserveLogin(t, th, account, ip)
	if err := a.Failed(t.Context()); err != nil {
		t.Fatalf("Failed(%q, %q): %v", account, ip, err)
	}
	return d
}

// logIn is a login with the right password, which must be admitted.
func logIn(t *testing.T, th *Throttle, account, ip string) {
	t.Helper()
	d, a := reserveLogin(t, th, account, ip)
	wantAllowed(t, d)
	if err := a.Succeeded(t.Context()); err != nil {
		t.Fatalf("Succeeded(%q, %q): %v", account, ip, err)
	}
}

// decide returns what Reserve decides for a login, and cancels the
// attempt if admitted, so that nothing is counted.
func decide(t *testing.T, th *Throttle, account, ip string) Decision {
	t.Helper()
	d, a := reserveLogin(t, th, account, ip)
	if err := a.Cancel(t.Context()); err != nil {
		t.Fatalf("Cancel(%q, %q): %v", account, ip, err)
	}
	return d
}

// reserveLogin is Reserve, checking that the Attempt is there exactly
// when the Decision is Allowed.
func reserveLogin(t *testing.T, th *Throttle, account, ip string) (Decision, *Attempt) {
	t.Helper()
	d, a, err := th.Reserve(t.Context(), account, ip)
	if err != nil {
		t.Fatalf("Reserve(%q, %q): %v", account, ip, err)
	}
	if d.Allowed != (a != nil) {
		t.Fatalf("Reserve(%q, %q) = %+v with attempt %v", account, ip, d, a)
	}
	return d, a
}

// counts are a login's counters as a backend holds them.
type counts struct{ pair, account, ip, global int64 }

// countsOf reads the counters of account and ip (global: of now's second).
func countsOf(t *testing.T, b Backend, now time.Time, account, ip string) counts {
	t.Helper()
	k := keysFor(account, ip)
	g, _ := globalKeys(now)
	e, err := b.Get(t.Context(), k.pairFail, k.acctFail, k.ipFail, g)
	if err != nil {
		t.Fatal(err)
	}
	return counts{e[0].Value, e[1].Value, e[2].Value, e[3].Value}
}
