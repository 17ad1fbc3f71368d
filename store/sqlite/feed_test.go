package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// The feed's bounds after migrating a database whose feed lost entries
// before bounds were kept: its oldest entries (j1, j2) and its newest (j4,
// j5) were purged. The floor starts below the oldest entry left, the head
// at the highest cursor ever handed out, so that a reader who saw j5 is
// not told it is ahead of the feed.
func TestMigrationStartsTheFeedBoundsFromTheEntriesLeft(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, 1)
	legacyData(t, s)
	exec(t, s, `DELETE FROM revocations WHERE value IN ('j1', 'j2')`)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := s.RevocationBounds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Head != 5 || b.Floor != 2 {
		t.Fatalf("bounds = head %d floor %d, want head 5 (j5's cursor) floor 2 (below s2's)", b.Head, b.Floor)
	}
}

// A feed reader waiting on one Store is woken by an entry that another
// process (here another Store on the same file, as the command line is)
// commits: by the poll of the head, since no in-process signal reaches it.
func TestWaitRevocationsWakesOnAnotherProcessesWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	server, cli := openMigrated(t, path), openMigrated(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- server.WaitRevocations(ctx, 0) }()
	select {
	case err := <-done:
		t.Fatalf("WaitRevocations returned %v before anything was written", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := cli.RevokeAccessToken(ctx, "j1", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WaitRevocations after another process's write: %v", err)
	}
}
