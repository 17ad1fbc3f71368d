package sqlite_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func benchHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func benchSession(id string) (*gatehouse.Session, *gatehouse.RefreshToken) {
	return &gatehouse.Session{ID: id, UserID: "u1", ClientID: "gatehouse", Scopes: []string{"read"},
			AuthTime: t0, CreatedAt: t0, LastUsedAt: t0, IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
			FamilyHash: benchHash(id + "/family"), AccessExpiresAt: t0.Add(15 * time.Minute)},
		&gatehouse.RefreshToken{Hash: benchHash(id + "/0"), SessionID: id, CreatedAt: t0}
}

// BenchmarkRotateRefreshToken rotates one session's live token b.N times
// in a row: the refresh path's one write transaction, fsync included.
func BenchmarkRotateRefreshToken(b *testing.B) {
	ctx := context.Background()
	s := openMigrated(b, filepath.Join(b.TempDir(), "bench.db"))
	createUser(b, s, "u1")
	sess, first := benchSession("s1")
	if err := s.CreateSession(ctx, sess, first); err != nil {
		b.Fatal(err)
	}
	sealed := make([]byte, 80)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now := t0.Add(time.Duration(i+1) * time.Millisecond)
		_, err := s.RotateRefreshToken(ctx, &gatehouse.Rotation{
			ClientID:   gatehouse.FirstPartyClientID,
			OldHash:    benchHash(fmt.Sprintf("s1/%d", i)),
			Next:       gatehouse.RefreshToken{Hash: benchHash(fmt.Sprintf("s1/%d", i+1)), CreatedAt: now},
			SealedNext: sealed, Now: now, Grace: 10 * time.Second, IdleTTL: time.Hour,
			AccessExpiresAt: now.Add(15 * time.Minute), IP: "192.0.2.1", UserAgent: "bench/1.0",
		})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCreateSession stores b.N sessions with their first tokens: the
// login path's write.
func BenchmarkCreateSession(b *testing.B) {
	ctx := context.Background()
	s := openMigrated(b, filepath.Join(b.TempDir(), "bench.db"))
	createUser(b, s, "u1")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sess, first := benchSession(fmt.Sprintf("s%d", i))
		if err := s.CreateSession(ctx, sess, first); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRotateRefreshTokenParallel rotates with 32 goroutines at once,
// each chaining its own session: a refresh storm, where group commit
// shares one transaction (and one fsync) among the rotations queued.
func BenchmarkRotateRefreshTokenParallel(b *testing.B) {
	ctx := context.Background()
	s := openMigrated(b, filepath.Join(b.TempDir(), "bench.db"))
	createUser(b, s, "u1")
	var next atomic.Int64
	sealed := make([]byte, 80)
	b.SetParallelism(32 / max(1, runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("p%d", next.Add(1))
		sess, first := benchSession(id)
		if err := s.CreateSession(ctx, sess, first); err != nil {
			b.Error(err)
			return
		}
		i := 0
		for pb.Next() {
			now := t0.Add(time.Duration(i+1) * time.Millisecond)
			_, err := s.RotateRefreshToken(ctx, &gatehouse.Rotation{
				ClientID:   gatehouse.FirstPartyClientID,
				OldHash:    benchHash(fmt.Sprintf("%s/%d", id, i)),
				Next:       gatehouse.RefreshToken{Hash: benchHash(fmt.Sprintf("%s/%d", id, i+1)), CreatedAt: now},
				SealedNext: sealed, Now: now, Grace: 10 * time.Second, IdleTTL: time.Hour,
				AccessExpiresAt: now.Add(15 * time.Minute), IP: "192.0.2.1", UserAgent: "bench/1.0",
			})
			if err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
