package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the Throttle's Prometheus metrics (read from Stats),
// to register on the server's registry: one Throttle's per registry.
//
//	gatehouse_login_throttled_total{reason}        refused attempts (sign-ups: reason="signup")
//	gatehouse_login_throttle_backend_errors_total  failed calls to Redis
//	gatehouse_login_throttle_backend_outages_total times Redis became unreachable
//	gatehouse_login_throttle_local_fallback        1 while counting locally only
func (t *Throttle) Collectors() []prometheus.Collector {
	s := &t.stats
	cs := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "gatehouse_login_throttle_backend_errors_total",
			Help: "Calls to the shared throttling backend (Redis) that failed.",
		}, func() float64 { return float64(s.backendErrors.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "gatehouse_login_throttle_backend_outages_total",
			Help: "Times the shared throttling backend became unreachable.",
		}, func() float64 { return float64(s.outages.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gatehouse_login_throttle_local_fallback",
			Help: "1 while login throttling counts on this replica only because the shared backend is unreachable.",
		}, func() float64 {
			if s.fallback.Load() {
				return 1
			}
			return 0
		}),
	}
	for i, r := range reasons {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "gatehouse_login_throttled_total",
			Help:        "Login and sign-up attempts refused by the throttle, by reason.",
			ConstLabels: prometheus.Labels{"reason": r},
		}, func() float64 { return float64(s.throttled[i].Load()) }))
	}
	return cs
}
