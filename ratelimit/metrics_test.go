package ratelimit

import (
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

func TestCollectorsExposeTheFallback(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1, DialerRetries: 1})
	defer client.Close()
	th := New(NewRedis(client, "gatehouse-test:"), Config{Logger: slog.New(slog.DiscardHandler), PairFree: 1})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(th.Collectors()...)

	if got := gather(t, reg); got["gatehouse_login_throttle_local_fallback"] != 0 {
		t.Fatalf("before any call: %v", got)
	}
	guess(t, th, "alice", "198.51.100.7")
	guess(t, th, "alice", "198.51.100.7")
	decide(t, th, "alice", "198.51.100.7")

	if got := gather(t, reg); got["gatehouse_login_throttle_local_fallback"] != 1 ||
		got["gatehouse_login_throttle_backend_outages_total"] != 1 ||
		got["gatehouse_login_throttle_backend_errors_total"] < 1 ||
		got["gatehouse_login_throttled_total/account+ip"] != 1 ||
		got["gatehouse_login_throttled_total/global"] != 0 {
		t.Fatalf("gathered %v", gather(t, reg))
	}
}

// gather returns the registry's samples by name (and label values).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "/" + l.GetValue()
			}
			got[name] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return got
}
