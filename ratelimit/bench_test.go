package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
)

func BenchmarkCheckMemory(b *testing.B) {
	th := New(NewMemory(nil), Config{Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := th.Check(ctx, fmt.Sprintf("user%d", i%1000), "198.51.100.7"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFailureMemory(b *testing.B) {
	th := New(NewMemory(nil), Config{Logger: slog.New(slog.DiscardHandler), GlobalPerSecond: -1})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := th.Failure(ctx, fmt.Sprintf("user%d", i%1000), "198.51.100.7"); err != nil {
			b.Fatal(err)
		}
	}
}
