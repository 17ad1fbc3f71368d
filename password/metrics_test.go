package password

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestCollectorsCountTheQueueTheWaitAndRefusals(t *testing.T) {
	cfg := cheap
	cfg.MaxConcurrent = 1
	cfg.MaxWait = time.Minute // a bound the test never reaches: the slot is released
	h := newHasher(t, cfg)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h.Collectors()...)
	entered, release := blockFirst(h)

	first := make(chan error, 1)
	go func() { _, err := h.Hash(context.Background(), "password"); first <- err }()
	<-entered
	if got := metric(t, reg, "gatehouse_password_hash_in_flight"); got.GetGauge().GetValue() != 1 {
		t.Fatalf("in flight while a hash runs = %v; want 1", got)
	}

	second := make(chan error, 1)
	go func() { _, err := h.Hash(context.Background(), "password"); second <- err }()
	// The second call waits for the slot the first holds.
	deadline := time.Now().Add(30 * time.Second)
	for metric(t, reg, "gatehouse_password_hash_queue_depth").GetGauge().GetValue() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the waiting hash never showed in gatehouse_password_hash_queue_depth")
		}
		time.Sleep(time.Millisecond)
	}
	release()
	if err := errors.Join(<-first, <-second); err != nil {
		t.Fatal(err)
	}
	if got := metric(t, reg, "gatehouse_password_hash_queue_depth").GetGauge().GetValue(); got != 0 {
		t.Errorf("queue depth after both ran = %v; want 0", got)
	}
	if got := metric(t, reg, "gatehouse_password_hash_wait_seconds").GetHistogram(); got.GetSampleCount() != 2 || got.GetSampleSum() <= 0 {
		t.Errorf("wait histogram = %v; want 2 samples, one of which waited", got)
	}

	// A call that may not wait, with the slot taken, is refused and counted.
	h.cfg.MaxWait = -1
	h.slots <- struct{}{}
	if err := h.VerifyDummy(t.Context(), "password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("VerifyDummy with the slot taken = %v; want ErrBusy", err)
	}
	<-h.slots
	if got := metric(t, reg, "gatehouse_password_hash_busy_total").GetCounter().GetValue(); got != 1 {
		t.Errorf("busy = %v; want 1", got)
	}
	if got := metric(t, reg, "gatehouse_password_hash_slots").GetGauge().GetValue(); got != 1 {
		t.Errorf("slots = %v; want 1", got)
	}
}

// metric returns the one sample of the metric name gathered from reg.
func metric(t *testing.T, reg *prometheus.Registry, name string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0]
		}
	}
	t.Fatalf("%s not gathered", name)
	return nil
}
