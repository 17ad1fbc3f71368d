package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestMemoryCountersExpire(t *testing.T) {
	clk := newClock()
	m := NewMemory(clk.Now)
	ctx := t.Context()
	a := Reservation{Count: "a", Block: "a-block", Window: 10 * time.Second}
	b := Reservation{Count: "b", Block: "b-block", Window: time.Second}
	if na, nb := reserve(t, m, a).N, reserve(t, m, b).N; na != 1 || nb != 1 {
		t.Fatalf("first counts = %d, %d; want 1, 1", na, nb)
	}
	clk.Advance(time.Second)
	if na, nb := reserve(t, m, a).N, reserve(t, m, b).N; na != 2 || nb != 1 {
		t.Fatalf("counts after b expired = %d, %d; want 2, 1", na, nb)
	}
	e, _ := m.Get(ctx, "a", "b", "missing")
	want := []Entry{{2, 10 * time.Second}, {1, time.Second}, {}}
	for i := range want {
		if e[i] != want[i] {
			t.Fatalf("Get = %v; want %v", e, want)
		}
	}
	_ = m.Set(ctx, "c", 7, time.Minute)
	_ = m.Del(ctx, "a", "nothing")
	e, _ = m.Get(ctx, "a", "c")
	if e[0] != (Entry{}) || e[1] != (Entry{7, time.Minute}) {
		t.Fatalf("Get after Set and Del = %v", e)
	}
}

func TestMemoryStaysWithinItsLimit(t *testing.T) {
	clk := newClock()
	m := NewMemory(clk.Now).WithLimit(100)
	ctx := t.Context()
	_ = m.Set(ctx, "long-lived", 1, time.Hour)
	for i := range 10_000 {
		k := fmt.Sprintf("k%d", i)
		reserve(t, m, Reservation{Count: k, Block: k + "-block", Window: time.Minute})
		if m.Len() > 100 {
			t.Fatalf("%d keys held after %d inserts; limit 100", m.Len(), i+1)
		}
	}
	// The keys closest to expiry go first.
	if e, _ := m.Get(ctx, "long-lived"); e[0].Value != 1 {
		t.Fatal("the longest-lived key was evicted before shorter ones")
	}
}

func TestMemorySweepsExpiredKeys(t *testing.T) {
	clk := newClock()
	m := NewMemory(clk.Now)
	ctx := t.Context()
	for i := range 500 {
		_ = m.Set(ctx, fmt.Sprintf("k%d", i), 1, time.Second)
	}
	clk.Advance(time.Second)
	for i := range sweepEvery {
		_ = m.Set(ctx, fmt.Sprintf("fresh%d", i%10), 1, time.Hour)
	}
	if n := m.Len(); n != 10 {
		t.Fatalf("%d keys held after a sweep; want the 10 live ones", n)
	}
}

func TestMemoryKeepsTheReservationContract(t *testing.T) {
	testReservations(t, func(*testing.T) Backend { return NewMemory(newClock().Now) })
}
