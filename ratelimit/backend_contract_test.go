package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testReservations is the contract of Backend.Reserve, Refund and Restart,
// run by every backend's tests. newBackend returns a fresh, empty backend
// for each subtest. Waits are compared with a tolerance so that a backend
// on the real clock (Redis) passes as well as one on a stopped clock.
func testReservations(t *testing.T, newBackend func(t *testing.T) Backend) {
	r := Reservation{Count: tagged("cf", "x"), Block: tagged("cb", "x"), Window: time.Hour,
		Free: 2, Steps: []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute}}
	forced := r
	forced.Force = true

	t.Run("counts are free up to Free, then earn the steps, the last repeating", func(t *testing.T) {
		b := newBackend(t)
		want := []time.Duration{0, 0, time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute}
		for i, w := range want {
			res := reserve(t, b, forced)
			if !res.Allowed || res.N != int64(i+1) || res.Wait != w {
				t.Fatalf("forced reservation %d = %+v; want count %d earning %v", i+1, res, i+1, w)
			}
			if w > 0 {
				wantEntry(t, b, r.Block, res.N, w)
			} else {
				wantEntry(t, b, r.Block, 0, 0)
			}
		}
	})
	t.Run("a live block refuses and counts nothing", func(t *testing.T) {
		b := newBackend(t)
		reserve(t, b, r)
		reserve(t, b, r)
		if res := reserve(t, b, r); !res.Allowed || res.N != 3 || res.Wait != time.Minute {
			t.Fatalf("third reservation = %+v; want counted, earning a minute", res)
		}
		res := reserve(t, b, r)
		if res.Allowed || res.N != 0 || !near(res.Wait, time.Minute) {
			t.Fatalf("reservation inside the block = %+v; want refused for a minute", res)
		}
		wantEntry(t, b, r.Count, 3, time.Hour)
	})
	t.Run("a refund uncounts and lifts the block its count set", func(t *testing.T) {
		b := newBackend(t)
		for range 2 {
			reserve(t, b, r)
		}
		res := reserve(t, b, r)
		refund(t, b, r, res.N)
		wantEntry(t, b, r.Count, 2, time.Hour)
		wantEntry(t, b, r.Block, 0, 0)
		if res := reserve(t, b, r); !res.Allowed || res.N != 3 {
			t.Fatalf("after the refund = %+v; want the third count again", res)
		}
	})
	t.Run("a refund leaves a block that a later count set", func(t *testing.T) {
		b := newBackend(t)
		for range 2 {
			reserve(t, b, r)
		}
		third := reserve(t, b, r)
		reserve(t, b, forced) // the fourth count, blocking for 2 minutes
		refund(t, b, r, third.N)
		wantEntry(t, b, r.Count, 3, time.Hour)
		wantEntry(t, b, r.Block, 4, 2*time.Minute)
	})
	t.Run("refunding the last count deletes the counter, and never goes below zero", func(t *testing.T) {
		b := newBackend(t)
		res := reserve(t, b, r)
		refund(t, b, r, res.N)
		refund(t, b, r, res.N)
		wantEntry(t, b, r.Count, 0, 0)
		if res := reserve(t, b, r); res.N != 1 {
			t.Fatalf("after refunds = %+v; want the count to start at one", res)
		}
	})
	t.Run("a restart renews only the block its count set", func(t *testing.T) {
		b := newBackend(t)
		for range 3 {
			reserve(t, b, forced)
		}
		if err := b.Restart(t.Context(), r, 2, time.Hour); err != nil { // not its count
			t.Fatal(err)
		}
		wantEntry(t, b, r.Block, 3, time.Minute)
		if err := b.Restart(t.Context(), r, 3, time.Hour); err != nil {
			t.Fatal(err)
		}
		wantEntry(t, b, r.Block, 3, time.Hour)
		other := Reservation{Count: tagged("cf", "y"), Block: tagged("cb", "y")}
		if err := b.Restart(t.Context(), other, 3, time.Hour); err != nil {
			t.Fatal(err)
		}
		wantEntry(t, b, other.Block, 0, 0) // a missing block is not created
	})
	t.Run("parallel reservations admit Free+1 and count each admitted once", func(t *testing.T) {
		b := newBackend(t)
		var admitted atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				<-start
				res, err := b.Reserve(t.Context(), r)
				if err != nil {
					t.Error(err)
				}
				if res.Allowed {
					admitted.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := admitted.Load(); n != r.Free+1 {
			t.Fatalf("%d of 50 parallel reservations admitted; want %d", n, r.Free+1)
		}
		wantEntry(t, b, r.Count, r.Free+1, time.Hour)
	})
}

func reserve(t *testing.T, b Backend, r Reservation) Result {
	t.Helper()
	res, err := b.Reserve(t.Context(), r)
	if err != nil {
		t.Fatalf("Reserve(%+v): %v", r, err)
	}
	return res
}

func refund(t *testing.T, b Backend, r Reservation, n int64) {
	t.Helper()
	if err := b.Refund(t.Context(), r, n); err != nil {
		t.Fatalf("Refund(%+v, %d): %v", r, n, err)
	}
}

// wantEntry fails unless key holds value with about ttl to live (nothing,
// when value is zero).
func wantEntry(t *testing.T, b Backend, key string, value int64, ttl time.Duration) {
	t.Helper()
	e, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if e[0].Value != value || !near(e[0].TTL, ttl) {
		t.Fatalf("%s = %+v; want %d for %v", key, e[0], value, ttl)
	}
}

// near reports whether got is want, or at most a second short of it (the
// real clock moves while a test talks to Redis).
func near(got, want time.Duration) bool { return got <= want && got > want-time.Second }
