package storemetrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse"
)

// Results of a store call, the result label.
const (
	ResultOK       = "ok"       // answered: a value, or one of the store's answers (not found, stale, reused, ended, conflict)
	ResultTimeout  = "timeout"  // the call's deadline passed
	ResultCanceled = "canceled" // the request went away
	ResultError    = "error"    // the store failed
)

// Latency observes store calls into gatehouse_store_duration_seconds. It
// is safe for concurrent use.
type Latency struct {
	h *prometheus.HistogramVec
}

// New returns a Latency with an empty histogram.
func New() *Latency {
	return &Latency{h: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gatehouse_store_duration_seconds",
		Help: "Time of a call to the store, by operation (the store method) and result: ok, timeout, canceled, error.",
		// From a cached SQLite read to a PostgreSQL call at its deadline.
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"op", "result"})}
}

// Observe records one call of operation op that took elapsed and returned
// err. op must come from a bounded set (the store's method names), never
// from a request.
func (l *Latency) Observe(op string, elapsed time.Duration, err error) {
	l.h.WithLabelValues(op, Result(err)).Observe(elapsed.Seconds())
}

// Collectors returns the histogram, to register on the server's registry.
func (l *Latency) Collectors() []prometheus.Collector { return []prometheus.Collector{l.h} }

// Result is the result label of a call that returned err. The store's
// sentinel answers are results of a working store, not failures.
func Result(err error) string {
	switch {
	case err == nil,
		errors.Is(err, gatehouse.ErrNotFound), errors.Is(err, gatehouse.ErrConflict),
		errors.Is(err, gatehouse.ErrTokenReused), errors.Is(err, gatehouse.ErrSessionEnded),
		errors.Is(err, gatehouse.ErrStale):
		return ResultOK
	case errors.Is(err, context.DeadlineExceeded):
		return ResultTimeout
	case errors.Is(err, context.Canceled):
		return ResultCanceled
	}
	return ResultError
}
