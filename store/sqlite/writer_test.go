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

// Group commit (writer.go): writes queued while the writer is busy are
// committed together, each on its own.

// waitQueued waits until n writes wait for the writer.
func waitQueued(t *testing.T, s *sqlite.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.QueuedWrites() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", s.QueuedWrites(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueuedWritesCommitInOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "g.db"))
	createUser(t, s, "u1")
	before := s.WriteBatches()
	release := s.HoldWriter()
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sess, first := benchSession(fmt.Sprintf("s%d", i))
			errs[i] = s.CreateSession(ctx, sess, first)
		})
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("CreateSession s%d: %v", i, err)
		}
		if _, err := s.Session(ctx, fmt.Sprintf("s%d", i)); err != nil {
			t.Errorf("SessionByID s%d after its write returned: %v", i, err)
		}
	}
	// The held write's transaction, then one for the twenty.
	if got := s.WriteBatches() - before; got != 2 {
		t.Errorf("%d transactions committed, want 2 (the held write's and one for the %d queued)", got, n)
	}
}

func TestFailingWriteDoesNotFailItsBatch(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "g.db"))
	createUser(t, s, "u1")
	a, aFirst := benchSession("a")
	if err := s.CreateSession(ctx, a, aFirst); err != nil {
		t.Fatal(err)
	}
	release := s.HoldWriter()
	// In queue order: a good write, a write whose session row inserts and
	// whose first token then conflicts with a's (it must leave nothing),
	// another good write.
	bad, _ := benchSession("bad")
	badFirst := &gatehouse.RefreshToken{Hash: aFirst.Hash, SessionID: "bad", CreatedAt: t0}
	var errs [3]error
	var wg sync.WaitGroup
	for i, id := range []string{"good1", "bad", "good2"} {
		wg.Go(func() {
			if id == "bad" {
				errs[i] = s.CreateSession(ctx, bad, badFirst)
				return
			}
			sess, first := benchSession(id)
			errs[i] = s.CreateSession(ctx, sess, first)
		})
		waitQueued(t, s, i+1)
	}
	release()
	wg.Wait()
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("good writes of the batch: %v, %v; want both to succeed", errs[0], errs[2])
	}
	if !errors.Is(errs[1], gatehouse.ErrConflict) {
		t.Errorf("conflicting write: %v, want ErrConflict", errs[1])
	}
	for _, id := range []string{"good1", "good2"} {
		if _, err := s.Session(ctx, id); err != nil {
			t.Errorf("SessionByID(%s): %v", id, err)
		}
	}
	if _, err := s.Session(ctx, "bad"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("SessionByID(bad) = %v, want ErrNotFound: the failed write's own session row stays", err)
	}
}

func TestRotationsOfOneTokenInOneBatch(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "g.db"))
	createUser(t, s, "u1")
	sess, first := benchSession("s1")
	if err := s.CreateSession(ctx, sess, first); err != nil {
		t.Fatal(err)
	}
	release := s.HoldWriter()
	const n = 8
	results := make([]*gatehouse.RotationResult, n)
	errs := make([]error, n)
	sealed := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		sealed[i] = []byte(fmt.Sprintf("sealed successor %d", i))
		wg.Go(func() {
			now := t0.Add(time.Second)
			results[i], errs[i] = s.RotateRefreshToken(ctx, &gatehouse.Rotation{
				ClientID:   gatehouse.FirstPartyClientID,
				OldHash:    first.Hash,
				Next:       gatehouse.RefreshToken{Hash: benchHash(fmt.Sprintf("next %d", i)), SessionID: "s1", CreatedAt: now},
				SealedNext: sealed[i], Now: now, Grace: 10 * time.Second, IdleTTL: time.Hour,
				AccessExpiresAt: now.Add(15 * time.Minute),
			})
		})
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("rotation %d: %v", i, errs[i])
		}
		if !results[i].Retry {
			if winner >= 0 {
				t.Fatalf("rotations %d and %d both rotated", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no rotation rotated")
	}
	for i := range n {
		if i != winner && !bytes.Equal(results[i].SealedSuccessor, sealed[winner]) {
			t.Errorf("retry %d got successor %q, want the winner's %q", i, results[i].SealedSuccessor, sealed[winner])
		}
	}
}

func TestCancelledWhileQueuedWritesNothing(t *testing.T) {
	s := openMigrated(t, filepath.Join(t.TempDir(), "g.db"))
	createUser(t, s, "u1")
	release := s.HoldWriter()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		sess, first := benchSession("s1")
		done <- s.CreateSession(ctx, sess, first)
	}()
	waitQueued(t, s, 1)
	cancel()
	err := <-done // returns while the writer is still held
	release()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateSession cancelled in the queue = %v, want context.Canceled", err)
	}
	// A later write runs, and the cancelled one never does.
	sess, first := benchSession("s2")
	if err := s.CreateSession(context.Background(), sess, first); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(context.Background(), "s1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("SessionByID(s1) = %v, want ErrNotFound", err)
	}
}

func TestCloseDropsQueuedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	s := openMigrated(t, path)
	createUser(t, s, "u1")
	release := s.HoldWriter()
	done := make(chan error, 1)
	go func() {
		sess, first := benchSession("s1")
		done <- s.CreateSession(context.Background(), sess, first)
	}()
	waitQueued(t, s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.WriterStopping() {
		time.Sleep(time.Millisecond)
	}
	release()
	if err := <-done; !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("write queued at Close = %v, want ErrClosed", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.CreateUser(context.Background(), &gatehouse.User{ID: "u2", Username: "u2"}); !errors.Is(err, sqlite.ErrClosed) {
		t.Errorf("write after Close = %v, want ErrClosed", err)
	}
	s2 := openMigrated(t, path)
	if _, err := s2.Session(context.Background(), "s1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("SessionByID(s1) after reopening = %v, want ErrNotFound", err)
	}
}
