package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func BenchmarkCreateSession(b *testing.B) {
	ctx := context.Background()
	s := newTestStore(b)
	ensureUser(b, s, "u1")
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("s%d", i)
		i++
		err := s.CreateSession(ctx, &gatehouse.Session{
			ID: id, UserID: "u1", ClientID: "gatehouse", Scopes: []string{"read"},
			AuthTime: t0, CreatedAt: t0, LastUsedAt: t0, IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
			FamilyHash: randomHash(), AccessExpiresAt: t0.Add(15 * time.Minute),
		}, &gatehouse.RefreshToken{Hash: randomHash(), SessionID: id, CreatedAt: t0})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// One session's lineage, rotated b.N times in a row (the first-rotation
// path: one statement).
func BenchmarkRotateRefreshToken(b *testing.B) {
	ctx := context.Background()
	s := newTestStore(b)
	token := newSession(b, s, "bench")
	now := t0
	for b.Loop() {
		now = now.Add(time.Millisecond)
		r := rotation(token, now)
		if _, err := s.RotateRefreshToken(ctx, r); err != nil {
			b.Fatal(err)
		}
		token = r.Next.Hash
	}
}

// A retry within the grace window (two statements, nothing written).
func BenchmarkRotateRefreshTokenRetry(b *testing.B) {
	ctx := context.Background()
	s := newTestStore(b)
	old := newSession(b, s, "bench")
	if _, err := s.RotateRefreshToken(ctx, rotation(old, t0)); err != nil {
		b.Fatal(err)
	}
	r := rotation(old, t0.Add(time.Second))
	for b.Loop() {
		if res, err := s.RotateRefreshToken(ctx, r); err != nil || !res.Retry {
			b.Fatal(res, err)
		}
	}
}
