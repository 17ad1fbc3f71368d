package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/store/sqlite"
)

// A backlog of several batches (an upgrade from a version that kept
// everything, or housekeeping that was off) is purged whole, batch after
// batch, and nothing live goes with it.
func TestPurgeOfABacklogLargerThanABatch(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "gatehouse.db"))
	n := 2*sqlite.PurgeBatch + 7
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	us := func(d time.Duration) int64 { return t0.Add(d).UnixMicro() }
	// n sessions ended at t0+1h (idle), each with two refresh tokens; n
	// sessions live until t0+100h; n feed entries forgettable at t0+1h
	// and one at t0+100h; n events at t0 and 3 at t0+50h.
	seq := `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1) `
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{seq + `INSERT INTO sessions (id, user_id, client_id, auth_time, created_at, last_used_at, idle_expires_at, expires_at)
			SELECT 'ended' || i, 'u1', 'gatehouse', ?2, ?2, ?2, ?3, ?4 FROM seq`, []any{n, us(0), us(time.Hour), us(100 * time.Hour)}},
		{seq + `INSERT INTO sessions (id, user_id, client_id, auth_time, created_at, last_used_at, idle_expires_at, expires_at)
			SELECT 'live' || i, 'u1', 'gatehouse', ?2, ?2, ?2, ?3, ?3 FROM seq`, []any{n, us(0), us(100 * time.Hour)}},
		{seq + `INSERT INTO refresh_tokens (hash, session_id, created_at, rotated_at)
			SELECT randomblob(32), 'ended' || i, ?2, ?2 FROM seq`, []any{n, us(0)}},
		{seq + `INSERT INTO refresh_tokens (hash, session_id, created_at)
			SELECT randomblob(32), 'ended' || i, ?2 FROM seq`, []any{n, us(0)}},
		{seq + `INSERT INTO refresh_tokens (hash, session_id, created_at)
			SELECT randomblob(32), 'live' || i, ?2 FROM seq`, []any{n, us(0)}},
		{seq + `INSERT INTO revocations (kind, value, revoked_at, forget_at) SELECT 'jti', 'j' || i, ?2, ?3 FROM seq`,
			[]any{n, us(0), us(time.Hour)}},
		{`INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('jti', 'kept', ?1, ?2)`, []any{us(0), us(100 * time.Hour)}},
		{seq + `INSERT INTO events (time, kind) SELECT ?2, 'login' FROM seq`, []any{n, us(0)}},
		{seq + `INSERT INTO events (time, kind) SELECT ?2, 'recent' FROM seq`, []any{3, us(50 * time.Hour)}},
	} {
		if err := s.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}

	st, err := s.Purge(ctx, t0.Add(2*time.Hour), t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Sessions != n || st.Revocations != n {
		t.Errorf("Purge = %+v, want %d sessions and %d feed entries", st, n, n)
	}
	events, err := s.PurgeEvents(ctx, t0.Add(time.Hour))
	if err != nil || events != n {
		t.Errorf("PurgeEvents = %d, %v; want %d", events, err, n)
	}
	for _, c := range []struct {
		table string
		want  int
	}{
		{"sessions WHERE id LIKE 'live%'", n}, {"sessions", n},
		{"refresh_tokens", n}, // the live sessions' own tokens
		{"revocations", 1}, {"events WHERE kind = 'recent'", 3}, {"events", 3},
	} {
		if got := count(t, s, c.table); got != c.want {
			t.Errorf("rows in %s = %d, want %d", c.table, got, c.want)
		}
	}
	// The floor moved to below the entry left.
	b, err := s.RevocationBounds(ctx)
	if err != nil || b.Floor != int64(n) || b.Head != int64(n+1) {
		t.Errorf("RevocationBounds = %+v, %v; want floor %d, head %d", b, err, n, n+1)
	}
	// Purging again finds nothing.
	if st, err := s.Purge(ctx, t0.Add(2*time.Hour), t0.Add(2*time.Hour)); err != nil || st.Sessions+st.Revocations != 0 {
		t.Errorf("second Purge = %+v, %v; want nothing", st, err)
	}
	if n, err := s.PurgeEvents(ctx, t0.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("second PurgeEvents = %d, %v; want nothing", n, err)
	}
}

func count(t *testing.T, s *sqlite.Store, from string) int {
	t.Helper()
	n, err := s.QueryInt(context.Background(), "SELECT count(*) FROM "+from)
	if err != nil {
		t.Fatalf("count %s: %v", from, err)
	}
	return int(n)
}
