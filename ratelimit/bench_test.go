package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"testing"
)

// BenchmarkReserveCancelMemory is the decision alone: every attempt is
// admitted, then cancelled, so nothing stays counted.
func BenchmarkReserveCancelMemory(b *testing.B) {
	th := New(NewMemory(nil), Config{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_, a, err := th.Reserve(ctx, fmt.Sprintf("user%d", i%1000), "198.51.100.7")
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Cancel(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFailureMemory is a failed login that is admitted and counted
// every time: no counter is ever out of free failures.
func BenchmarkFailureMemory(b *testing.B) {
	th := New(NewMemory(nil), Config{Logger: slog.New(slog.DiscardHandler), GlobalPerSecond: -1,
		PairFree: math.MaxInt32, AccountFree: math.MaxInt32, IPFree: math.MaxInt32})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_, a, err := th.Reserve(ctx, fmt.Sprintf("user%d", i%1000), "198.51.100.7")
		if err != nil {
			b.Fatal(err)
		}
		if a == nil {
			b.Fatal("refused")
		}
		if err := a.Failed(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserveFailedMemory is the login path as the server takes it
// under a guessing attack: the one IP soon runs out of free failures, and
// most attempts are refused by its counter.
func BenchmarkReserveFailedMemory(b *testing.B) {
	th := New(NewMemory(nil), Config{Logger: slog.New(slog.DiscardHandler), GlobalPerSecond: -1})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_, a, err := th.Reserve(ctx, fmt.Sprintf("user%d", i%1000), "198.51.100.7")
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Failed(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
