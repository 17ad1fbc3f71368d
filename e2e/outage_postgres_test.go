package e2e_test

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse/internal/testdb"
)

// A server on a PostgreSQL of the test's own, under load, while the
// database freezes (SIGSTOP) and stops: every request is answered — 503
// with Retry-After while the database cannot serve, never a 500 — the log
// stays short, /readyz says so, and the server recovers without a
// restart. Then a shutdown while the database is frozen exits within
// --shutdown-timeout.
func TestPostgresFrozenAndStoppedUnderLoad(t *testing.T) {
	pg, dsn := testdb.OwnPostgres(t)
	gatehouseOn(t, dsn, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	const shutdownTimeout = 3 * time.Second
	gh := startReplica(t, dsn, "--db-timeout", "500ms", "--shutdown-timeout", shutdownTimeout.String())
	base := gh.url()
	client := &http.Client{Timeout: 20 * time.Second}
	tl := &tally{}
	load := startLoad(t, 4, client, func() string { return base }, tl)
	ready := func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		return c.Close(ctx)
	}
	load.okAfter("first answers", 20)

	for _, outage := range []struct {
		name       string
		start, end func()
	}{
		{"frozen", pg.Freeze, pg.Thaw},
		{"stopped", pg.Stop, func() { pg.Restart(ready) }},
	} {
		unavailable := tl.unavailable.Load()
		outage.start()
		eventually(t, 30*time.Second, outage.name+": /readyz 503", func() bool { return status(base, "/readyz") == http.StatusServiceUnavailable })
		eventually(t, 30*time.Second, outage.name+": 503s", func() bool { return tl.unavailable.Load() > unavailable+10 })
		time.Sleep(2 * time.Second) // an outage of some seconds under load
		outage.end()
		eventually(t, 60*time.Second, outage.name+": /readyz 200 again", func() bool { return status(base, "/readyz") == http.StatusOK })
		load.okAfter(outage.name+": answers after the outage", 20)
	}
	load.stop()
	t.Logf("load: %v", tl)
	if f := tl.failures(); len(f) > 0 {
		t.Errorf("requests failed during the outages (want only 200, 503 with Retry-After, invalid_grant): %q", f)
	}
	logs := gh.logs.String()
	if n := countLines(logs, `"request failed"`); n > 0 {
		t.Errorf("%d requests logged as failed (500)", n)
	}
	// The failures are logged once per cause per interval (10 s): a few
	// lines for two outages, not one per request.
	errors, warnings := countLines(logs, `"level":"ERROR"`), countLines(logs, `"level":"WARN"`)
	t.Logf("log: %d ERROR and %d WARN lines", errors, warnings)
	if errors+warnings > 40 || errors == 0 {
		t.Errorf("%d ERROR and %d WARN lines for %d answers of 503; want a few:\n%s", errors, warnings, tl.unavailable.Load(), logs)
	}

	// Shutdown while the database is frozen under load.
	startLoad(t, 4, client, func() string { return base }, &tally{})
	time.Sleep(500 * time.Millisecond)
	pg.Freeze()
	defer pg.Thaw()
	time.Sleep(500 * time.Millisecond) // requests now wait on the frozen database
	start := time.Now()
	gh.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-gh.done:
		t.Logf("exited %v after SIGTERM with the database frozen (--shutdown-timeout %v)", time.Since(start), shutdownTimeout)
	case <-time.After(3 * shutdownTimeout):
		// Generous: it proves the exit does not wait for the database.
		t.Fatalf("still running %v after SIGTERM with the database frozen (--shutdown-timeout %v)", 3*shutdownTimeout, shutdownTimeout)
	}
}
