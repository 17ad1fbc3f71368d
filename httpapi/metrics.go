package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse/gatehouse/session"
)

// instrument counts requests and their latency by route and status on reg,
// registers the metrics of the server's components (docs/metrics.md), and
// serves GET /metrics on mux unless reg is served on another listener
// (metricsElsewhere). With a nil reg it returns h unchanged.
func (s *server) instrument(mux *routeMux, h http.Handler, reg *prometheus.Registry, metricsElsewhere bool) (http.Handler, error) {
	if reg == nil {
		return h, nil
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gatehouse_http_requests_total",
		Help: "HTTP requests answered, by route and status code.",
	}, []string{"method", "route", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gatehouse_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"})
	cs := []prometheus.Collector{requests, latency}
	cs = append(cs, s.metrics.collectors()...)
	cs = append(cs, s.sessions.Collectors()...)
	cs = append(cs, s.accounts.Collectors()...)
	cs = append(cs, s.passwords.Collectors()...)
	cs = append(cs, s.keyring.Collectors()...)
	if s.throttle != nil {
		cs = append(cs, s.throttle.Collectors()...)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	if !metricsElsewhere {
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		// The mux has set r.Pattern; unmatched requests share one label so
		// that hostile paths cannot grow the label set.
		route, method := "unmatched", "other"
		if r.Pattern != "" {
			m, p, found := strings.Cut(r.Pattern, " ")
			if found {
				route, method = p, m
			} else {
				route = m
			}
		}
		requests.WithLabelValues(method, route, strconv.Itoa(rec.status)).Inc()
		latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	}), nil
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.written {
		r.status, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// serverMetrics are the metrics the handlers themselves keep.
type serverMetrics struct {
	// feedWaiting is the long polls of /revocations waiting now.
	feedWaiting prometheus.Gauge
	// feedLag is, per entry delivered to a reader continuing from its
	// cursor, how long after the revocation it was delivered.
	feedLag prometheus.Histogram
	// revocations are the admin API's own causes (clients revoke through
	// a service that keeps no metrics).
	revocations session.RevocationCounters
}

// Causes of the revocations counted here (session.RevocationCounters).
const (
	causeClientSecretRotated = "client_secret_rotated"
	causeClientDeleted       = "client_deleted"
)

func newServerMetrics() *serverMetrics {
	return &serverMetrics{
		feedWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gatehouse_revocation_feed_subscribers",
			Help: "Readers of the revocation feed waiting in a long poll (GET /revocations with wait=) now.",
		}),
		feedLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "gatehouse_revocation_feed_lag_seconds",
			Help: "Per revocation delivered to a feed reader continuing from its cursor: time from the revocation " +
				"to its delivery (snapshots from cursor 0 or a resync are not counted).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		revocations: session.NewRevocationCounters(causeClientSecretRotated, causeClientDeleted),
	}
}

func (m *serverMetrics) collectors() []prometheus.Collector {
	return append([]prometheus.Collector{m.feedWaiting, m.feedLag}, m.revocations.Collectors()...)
}
