package resilient

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// failureLog logs store failures at most once per cause per interval: an
// outage under load fails thousands of calls a second, and each would
// otherwise write its own line. The first failure of a cause is logged at
// once; later ones within the interval are counted, and the next line of
// that cause says how many were left out.
type failureLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu     sync.Mutex
	causes map[string]*causeLog // bounded: one per cause Classify names
}

type causeLog struct {
	last       time.Time // when the last line was written
	suppressed int       // failures since, not logged
}

func newFailureLog(log *slog.Logger, every time.Duration, now func() time.Time) *failureLog {
	return &failureLog{log: log, every: every, now: now, causes: map[string]*causeLog{}}
}

// failed records one failure of op with cause, and logs it unless a line
// of that cause was written less than the interval ago.
func (l *failureLog) failed(op, cause string, err error) {
	now := l.now()
	l.mu.Lock()
	c := l.causes[cause]
	if c == nil {
		c = &causeLog{}
		l.causes[cause] = c
	}
	if !c.last.IsZero() && now.Sub(c.last) < l.every {
		c.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := c.suppressed
	c.last, c.suppressed = now, 0
	l.mu.Unlock()
	l.log.LogAttrs(context.Background(), slog.LevelError, "store unavailable",
		slog.String("cause", cause), slog.String("op", op), slog.Any("err", err),
		slog.Int("suppressed", suppressed), slog.String("interval", l.every.String()))
}
