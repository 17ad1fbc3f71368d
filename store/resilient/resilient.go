package resilient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse"
)

// DefaultTimeout is the deadline of each store call when Config.Timeout is
// zero.
const DefaultTimeout = 5 * time.Second

// DefaultLogEvery is how often one cause of failure is logged when
// Config.LogEvery is zero.
const DefaultLogEvery = 10 * time.Second

// Config configures Wrap. The zero value of a field means its default.
type Config struct {
	// Timeout is the deadline of each call (not of WaitRevocations). It
	// must be positive; default DefaultTimeout.
	Timeout time.Duration
	// Observe, when set, is called after every call with the method's
	// name (a fixed, bounded set: "UserByID", "RotateRefreshToken", …),
	// how long it took and the error it returns (already classified).
	Observe func(op string, elapsed time.Duration, err error)
	// Logger receives the rate-limited failure lines. Default: discard.
	Logger *slog.Logger
	// LogEvery is the interval of the failure log: one line per cause
	// per interval. Default DefaultLogEvery.
	LogEvery time.Duration
	// Now is the clock of the failure log and of Health. Default time.Now.
	Now func() time.Time
}

// Store is a gatehouse.Store wrapped by Wrap. Health reports whether its
// writes can succeed.
type Store struct {
	next    gatehouse.Store
	timeout time.Duration
	observe func(string, time.Duration, error)
	now     func() time.Time
	log     *failureLog
	writes  writeHealth

	closeOnce sync.Once
	closed    chan struct{} // closed once the wrapped store's Close returned
	closeErr  error
}

var _ gatehouse.Store = (*Store)(nil)

// Wrap returns st with deadlines, classification, observation and
// rate-limited failure logging on every call.
func Wrap(st gatehouse.Store, cfg Config) *Store {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = DefaultLogEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{
		next:    st,
		timeout: cfg.Timeout,
		observe: cfg.Observe,
		now:     cfg.Now,
		log:     newFailureLog(cfg.Logger, cfg.LogEvery, cfg.Now),
	}
}

// kind says what a call does to the database, for Health.
type kind int

const (
	read kind = iota
	write
	// bulk is a write whose size the caller decides (housekeeping's
	// Purge, an import): bounded by its caller's context, not by the
	// per-call deadline, which is sized for one request's work.
	bulk
	// probe is the readiness probe: a write that does not count as one
	// of the service's writes.
	probe
)

// call runs fn under the call deadline and classifies its error.
func call[T any](s *Store, ctx context.Context, op string, k kind, fn func(context.Context) (T, error)) (T, error) {
	start := time.Now()
	cctx, cancel := ctx, context.CancelFunc(func() {})
	if k != bulk {
		cctx, cancel = context.WithTimeout(ctx, s.timeout)
	}
	v, err := fn(cctx)
	cancel()
	err = s.finish(ctx, op, k, start, err)
	return v, err
}

// run is call for a method that returns only an error.
func run(s *Store, ctx context.Context, op string, k kind, fn func(context.Context) error) error {
	_, err := call(s, ctx, op, k, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// finish classifies err, logs and records it, and reports the call.
func (s *Store) finish(ctx context.Context, op string, k kind, start time.Time, err error) error {
	if err != nil && ctx.Err() == nil {
		if cause := Classify(err); cause != "" {
			s.log.failed(op, cause, err)
			err = &unavailableError{op: op, cause: cause, err: err}
		}
	}
	if k == write || k == bulk {
		s.writes.record(s.now(), err)
	}
	if s.observe != nil {
		s.observe(op, time.Since(start), err)
	}
	return err
}

// unavailableError is a call's error classified as unavailable: it is
// gatehouse.ErrUnavailable and still the driver's error (errors.Is and
// errors.As see both).
type unavailableError struct {
	op, cause string
	err       error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("%v: %s (%s): %v", gatehouse.ErrUnavailable, e.op, e.cause, e.err)
}

func (e *unavailableError) Unwrap() []error { return []error{gatehouse.ErrUnavailable, e.err} }

// Cause returns the cause Classify gave an unavailable error, "" for
// another error.
func Cause(err error) string {
	var ue *unavailableError
	if errors.As(err, &ue) {
		return ue.cause
	}
	return ""
}
