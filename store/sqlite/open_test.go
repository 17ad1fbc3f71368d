package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

func TestMigrateTwiceIsANoOp(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "g.db"))
	before, err := s.MigrationRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	user := &gatehouse.User{ID: "u1", Username: "alice", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0, PasswordChangedAt: t0}
	if err := s.CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	after, err := s.MigrationRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("goose version rows %d → %d, want unchanged", before, after)
	}
	if _, err := s.UserByID(ctx, "u1"); err != nil {
		t.Errorf("user lost by the second Migrate: %v", err)
	}
}

func TestOpenSetsDurableWALConnection(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "g.db"))
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "10000",
	} {
		got, err := s.Pragma(ctx, pragma)
		if err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

func TestOpenRefusesAPathWithAQueryString(t *testing.T) {
	for _, path := range []string{"", filepath.Join(t.TempDir(), "g.db?mode=ro")} {
		if s, err := sqlite.Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

func TestReopenedDatabaseKeepsItsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	createUser(t, s, "u1")
	sess := &gatehouse.Session{ID: "s1", UserID: "u1", ClientID: "gatehouse", AuthTime: t0, CreatedAt: t0,
		LastUsedAt: t0, IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour)}
	first := &gatehouse.RefreshToken{Hash: []byte("h0"), SessionID: "s1", CreatedAt: t0}
	if err := s.CreateSession(ctx, sess, first); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAccessToken(ctx, "jti-1", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openMigrated(t, path)
	got, err := s.SessionByRefreshHash(ctx, []byte("h0"))
	if err != nil || got.ID != "s1" {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
	if ok, err := s.IsRevoked(ctx, "jti-1", ""); err != nil || !ok {
		t.Errorf("revocation lost on reopening: %v, %v", ok, err)
	}
}

// Two Stores on one file stand for the server and a CLI process: each has
// its own connections, and SQLite's file locks decide between them.
func TestTwoStoresOnOneFileRotateOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "g.db")
	a := openMigrated(t, path)
	b := openMigrated(t, path)
	createUser(t, a, "u1")
	for round := range 10 {
		sid := fmt.Sprintf("s%d", round)
		sess := &gatehouse.Session{ID: sid, UserID: "u1", ClientID: "gatehouse", AuthTime: t0, CreatedAt: t0,
			LastUsedAt: t0, IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour)}
		if err := a.CreateSession(ctx, sess, &gatehouse.RefreshToken{Hash: []byte(sid), SessionID: sid, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		const n = 20
		results := make([]*gatehouse.RotationResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				store := a
				if i%2 == 1 {
					store = b
				}
				next := fmt.Sprintf("%s/%d", sid, i)
				results[i], errs[i] = store.RotateRefreshToken(ctx, &gatehouse.Rotation{
					ClientID: gatehouse.FirstPartyClientID,
					OldHash:  []byte(sid), Next: gatehouse.RefreshToken{Hash: []byte(next), CreatedAt: t0},
					SealedNext: []byte(next), Now: t0.Add(time.Minute), Grace: 10 * time.Second, IdleTTL: time.Hour,
				})
			})
		}
		wg.Wait()
		var winner []byte
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: rotation %d: %v", round, i, errs[i])
			}
			if !results[i].Retry {
				if winner != nil {
					t.Fatalf("round %d: two rotations won", round)
				}
				winner = []byte(fmt.Sprintf("%s/%d", sid, i))
			}
		}
		for i := range n {
			if results[i].Retry && !bytes.Equal(results[i].SealedSuccessor, winner) {
				t.Fatalf("round %d: rotation %d got %q, want %q", round, i, results[i].SealedSuccessor, winner)
			}
		}
	}
}

func TestClosedStoreFailsPing(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Ping(context.Background()); err == nil || errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("Ping of a closed store = %v, want an error", err)
	}
}

// The CLI's `gatehouse migrate` and a starting server may migrate a new
// file at once.
func TestConcurrentMigrateOfANewFile(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "g.db")
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				s, err := sqlite.Open(context.Background(), path)
				if err != nil {
					errs[i] = err
					return
				}
				defer s.Close()
				errs[i] = s.Migrate(context.Background())
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: store %d: %v", round, i, err)
			}
		}
		s := openMigrated(t, path)
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
