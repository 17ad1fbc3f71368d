package storemetrics_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/storemetrics"
)

// The signature of the store decorator's observation hook.
var _ func(op string, elapsed time.Duration, err error) = storemetrics.New().Observe

func TestObserveCountsEachCallByOperationAndResult(t *testing.T) {
	l := storemetrics.New()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(l.Collectors()...)

	l.Observe("RotateRefreshToken", 3*time.Millisecond, nil)
	l.Observe("RotateRefreshToken", 5*time.Millisecond, fmt.Errorf("rotate: %w", gatehouse.ErrTokenReused))
	l.Observe("UserByUsername", time.Millisecond, gatehouse.ErrNotFound)
	l.Observe("UserByUsername", 2*time.Second, fmt.Errorf("query: %w", context.DeadlineExceeded))
	l.Observe("Revocations", time.Millisecond, context.Canceled)
	l.Observe("Revocations", time.Millisecond, errors.New("connection refused"))

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	type series struct {
		count uint64
		sum   float64
	}
	got := map[string]series{}
	for _, f := range families {
		if f.GetName() != "gatehouse_store_duration_seconds" {
			t.Fatalf("unexpected metric %s", f.GetName())
		}
		for _, m := range f.GetMetric() {
			key := ""
			for _, lp := range m.GetLabel() {
				key += lp.GetName() + "=" + lp.GetValue() + " "
			}
			got[key] = series{m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()}
		}
	}
	want := map[string]series{
		"op=RotateRefreshToken result=ok ":  {2, 0.008},
		"op=UserByUsername result=ok ":      {1, 0.001},
		"op=UserByUsername result=timeout ": {1, 2},
		"op=Revocations result=canceled ":   {1, 0.001},
		"op=Revocations result=error ":      {1, 0.001},
	}
	if len(got) != len(want) {
		t.Errorf("series %v; want %v", got, want)
	}
	for k, w := range want {
		if g := got[k]; g.count != w.count || g.sum < w.sum*0.999 || g.sum > w.sum*1.001 {
			t.Errorf("%s: %+v; want %+v", k, g, w)
		}
	}
}
