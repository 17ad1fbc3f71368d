package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// instrument counts requests and their latency by route and status on reg,
// registers the login throttle's collectors, and serves GET /metrics on
// mux. With a nil reg it returns h unchanged.
func (s *server) instrument(mux *routeMux, h http.Handler, reg *prometheus.Registry) (http.Handler, error) {
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
	if s.throttle != nil {
		cs = append(cs, s.throttle.Collectors()...)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
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
