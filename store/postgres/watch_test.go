package postgres

import (
	"context"
	"testing"
	"time"
)

// The feed's bounds after migrating a database whose feed lost entries
// before bounds were kept: its oldest entries (j1, j2) and its newest (j4,
// j5) were purged. The floor starts below the oldest entry left, the head
// at the highest cursor ever handed out.
func TestMigrationStartsTheFeedBoundsFromTheEntriesLeft(t *testing.T) {
	ctx := context.Background()
	s, _ := openAt(t, 1)
	legacyData(t, s)
	exec(t, s, `DELETE FROM revocations WHERE value IN ('j1', 'j2')`)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := s.RevocationBounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Head != maxCursorHandedOut || b.Floor != 2 {
		t.Fatalf("bounds = head %d floor %d, want head %d floor 2 (below s2's cursor)", b.Head, b.Floor, maxCursorHandedOut)
	}
}

// waitReturns starts WaitRevocations(since) on s and fails the test if it
// returns before the write or not within a bound after it.
func waitReturns(t *testing.T, s *Store, since int64, write func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.WaitRevocations(ctx, since) }()
	select {
	case err := <-done:
		t.Fatalf("WaitRevocations returned %v before the write", err)
	case <-time.After(100 * time.Millisecond):
	}
	write()
	if err := <-done; err != nil {
		t.Fatalf("WaitRevocations after the write: %v", err)
	}
}

// A replica's waiting feed reader is woken by an entry another replica
// commits (NOTIFY, delivered at commit to every listener).
func TestWaitRevocationsWakesOnAnotherReplicasWrite(t *testing.T) {
	u := newSchema(t)
	a, b := openURL(t, u), openURL(t, u)
	ctx := context.Background()
	waitReturns(t, a, 0, func() {
		if err := b.RevokeAccessToken(ctx, "j1", t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	})
	// Readers of another schema on the same database are not woken.
	other := newTestStore(t)
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- other.WaitRevocations(wctx, 0) }()
	time.Sleep(50 * time.Millisecond)
	if err := b.RevokeAccessToken(ctx, "j2", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Error("a reader of another schema was woken by this schema's entry")
	}
}

// When the listening connection is lost, waiting readers are still woken
// (by polling the head) and the listener comes back.
func TestWaitRevocationsSurvivesALostListener(t *testing.T) {
	u := newSchema(t)
	a, b := openURL(t, u), openURL(t, u)
	ctx := context.Background()
	waitReturns(t, a, 0, func() {
		if err := b.RevokeAccessToken(ctx, "j1", t0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	})
	// Kill a's listening connection, as a network failure or a database
	// restart would.
	a.listen.mu.Lock()
	pid := a.listen.pid
	a.listen.mu.Unlock()
	var killed bool
	if err := b.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	head, err := a.RevocationBounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // while it is down, and after it came back
		waitReturns(t, a, head.Head+int64(i), func() {
			if err := b.RevokeAccessToken(ctx, "after-"+string(rune('a'+i)), t0, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
