package password

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// hashMetrics is what a Hasher counts about its concurrency bound.
type hashMetrics struct {
	waiting atomic.Int64 // calls waiting for a slot now
	wait    prometheus.Histogram
	busy    prometheus.Counter
}

func newHashMetrics() *hashMetrics {
	return &hashMetrics{
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gatehouse_password_hash_wait_seconds",
			Help: "Time a password hash or verification waited for a hashing slot before it ran (0 when one was free).",
			// From "a slot was free" to the default MaxWait of 2s.
			Buckets: []float64{0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 5},
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_password_hash_busy_total",
			Help: "Password hashes and verifications refused because no hashing slot freed up in time (answered 503).",
		}),
	}
}

// Collectors returns the Hasher's Prometheus metrics, to register on the
// server's registry (docs/metrics.md):
//
//	gatehouse_password_hash_queue_depth   calls waiting for a hashing slot now
//	gatehouse_password_hash_in_flight     hashes running now
//	gatehouse_password_hash_slots         the bound (Config.MaxConcurrent)
//	gatehouse_password_hash_wait_seconds  time waited for a slot, per call that ran
//	gatehouse_password_hash_busy_total    calls refused with ErrBusy
func (h *Hasher) Collectors() []prometheus.Collector {
	m := h.metrics
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_password_hash_queue_depth",
			Help: "Password hashes and verifications waiting for a hashing slot now.",
		}, func() float64 { return float64(m.waiting.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_password_hash_in_flight",
			Help: "Password hashes and verifications running now.",
		}, func() float64 { return float64(len(h.slots)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_password_hash_slots",
			Help: "How many password hashes may run at once.",
		}, func() float64 { return float64(cap(h.slots)) }),
		m.wait,
		m.busy,
	}
}

// waited records a slot taken after waiting since start.
func (m *hashMetrics) waited(start time.Time) { m.wait.Observe(time.Since(start).Seconds()) }
