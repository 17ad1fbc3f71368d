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

func check(t *testing.T, th *Throttle, account, ip string) Decision {
	t.Helper()
	d, err := th.Check(t.Context(), account, ip)
	if err != nil {
		t.Fatalf("Check(%q, %q): %v", account, ip, err)
	}
	return d
}

func fail(t *testing.T, th *Throttle, account, ip string) {
	t.Helper()
	if err := th.Failure(t.Context(), account, ip); err != nil {
		t.Fatalf("Failure(%q, %q): %v", account, ip, err)
	}
}

func succeed(t *testing.T, th *Throttle, account, ip string) {
	t.Helper()
	if err := th.Success(t.Context(), account, ip); err != nil {
		t.Fatalf("Success(%q, %q): %v", account, ip, err)
	}
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
