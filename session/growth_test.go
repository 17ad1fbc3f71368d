package session_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// growthRounds is how many rounds of load make the first measure; the
// second is taken after as many more. Each round is ten minutes of the
// server's clock: past the warm-up (the idle timeout, then the retention
// of what ended), every round adds what housekeeping deletes.
const growthRounds = 12

// A steady load on a server whose housekeeping runs keeps the database
// the same size: after 2N rounds it holds the same rows as after N, and
// takes no more room (within a few pages). The retention is short so that
// a few hours of the server's clock reach the steady state.
func TestDatabaseSizeLevelsOffUnderASteadyLoad(t *testing.T) {
	retention := session.Retention{EndedSessions: 30 * time.Minute, Events: time.Hour}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "g.db")
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		levelsOff(t, st, retention, func() {}, func() (int64, map[string]int64) {
			// The file: pages in use and free (SQLite reuses free pages
			// before it grows the file).
			var pages, size int64
			if err := db.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow("PRAGMA page_size").Scan(&size); err != nil {
				t.Fatal(err)
			}
			return pages * size, countRows(t, func(q string) (n int64, err error) { return n, db.QueryRow(q).Scan(&n) })
		})
	})
	t.Run("postgres", func(t *testing.T) {
		st, dsn := testserver.Postgres(t)
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		// Autovacuum's part, done after each round (a busy server's
		// autovacuum visits these tables as often): dead rows' room is
		// reused.
		vacuum := func() {
			if _, err := conn.Exec(context.Background(), "VACUUM sessions, refresh_tokens, revocations, events"); err != nil {
				t.Fatal(err)
			}
		}
		levelsOff(t, st, retention, vacuum, func() (int64, map[string]int64) {
			ctx := context.Background()
			var size int64
			if err := conn.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c
				JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&size); err != nil {
				t.Fatal(err)
			}
			return size, countRows(t, func(q string) (n int64, err error) { return n, conn.QueryRow(ctx, q).Scan(&n) })
		})
	})
}

func countRows(t *testing.T, query func(string) (int64, error)) map[string]int64 {
	t.Helper()
	rows := map[string]int64{}
	for _, table := range []string{"sessions", "refresh_tokens", "revocations", "events"} {
		n, err := query("SELECT count(*) FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		rows[table] = n
	}
	return rows
}

// levelsOff runs the load for growthRounds rounds, measures, runs as many
// more, measures again, and compares.
func levelsOff(t *testing.T, st gatehouse.Store, retention session.Retention, afterRound func(), measure func() (int64, map[string]int64)) {
	s := testserver.New(t, testserver.Options{Store: st, Throttle: &testserver.NoLimits, Session: func(c *session.Config) {
		c.Retention = retention
	}})
	const pw = "correct horse battery staple"
	for i := range 5 {
		s.AddUser(fmt.Sprintf("user%d", i), pw)
	}
	round := func(r int) {
		// Ten logins; each session refreshed three times; every other one
		// logged out, the rest left to the idle timeout. Then ten minutes
		// pass and housekeeping runs.
		for i := range 10 {
			tk := s.Login(t, fmt.Sprintf("user%d", i%5), pw)
			for range 3 {
				tk = s.Refresh(t, tk.RefreshToken)
			}
			if (r+i)%2 == 0 {
				if resp := s.PostForm(t, "/revoke", testserver.Form("token", tk.RefreshToken), nil); resp.Status != 200 {
					t.Fatalf("revoke: %s", resp)
				}
			}
		}
		s.Clock.Advance(10 * time.Minute)
		if _, err := s.Sessions.Purge(s.Ctx); err != nil {
			t.Fatal(err)
		}
		afterRound()
	}
	for r := range growthRounds {
		round(r)
	}
	size1, rows1 := measure()
	for r := range growthRounds {
		round(growthRounds + r)
	}
	size2, rows2 := measure()
	t.Logf("after %d rounds: %d bytes, rows %v; after %d: %d bytes, rows %v", growthRounds, size1, rows1, 2*growthRounds, size2, rows2)
	for table, n := range rows1 {
		if rows2[table] != n {
			t.Errorf("%s: %d rows after %d rounds, %d after %d: want the same", table, n, growthRounds, rows2[table], 2*growthRounds)
		}
	}
	// A few pages of slack: where a B-tree splits is not ours to fix.
	if slack := int64(64 << 10); size2 > size1+slack {
		t.Errorf("the database grew from %d to %d bytes between round %d and round %d", size1, size2, growthRounds, 2*growthRounds)
	}
}
