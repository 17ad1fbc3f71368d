package resilient_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testdb"
	"github.com/gatehouse/gatehouse/store/postgres"
	"github.com/gatehouse/gatehouse/store/resilient"
)

// lockedBuffer is a log sink safe for the store's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// generous bounds a call that must not hang: far above the deadline, far
// below "as long as the database is frozen".
const generous = 10 * time.Second

// A PostgreSQL of the test's own, stopped and frozen under concurrent
// calls: every call fails within its deadline as ErrUnavailable, the log
// stays short, and the same store recovers when the database returns.
func TestPostgresStoppedAndFrozen(t *testing.T) {
	pg, url := testdb.OwnPostgres(t)
	ctx := context.Background()
	raw, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	st := resilient.Wrap(raw, resilient.Config{Timeout: 300 * time.Millisecond, Logger: slog.New(slog.NewJSONHandler(logs, nil)), LogEvery: time.Minute})
	defer st.CloseWithin(time.Second)
	u := &gatehouse.User{ID: "u1", Username: "alice", PasswordHash: "x", CreatedAt: time.Now(), UpdatedAt: time.Now(), PasswordChangedAt: time.Now(), Epoch: time.Now()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}

	// hammer makes n concurrent reads and returns their errors.
	hammer := func(n int) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				start := time.Now()
				_, errs[i] = st.UserByID(ctx, "u1")
				if d := time.Since(start); d > generous {
					t.Errorf("a call took %v", d)
				}
			})
		}
		wg.Wait()
		return errs
	}
	wantUnavailable := func(phase string, errs []error) {
		t.Helper()
		for _, err := range errs {
			if !errors.Is(err, gatehouse.ErrUnavailable) {
				t.Fatalf("%s: %v, want ErrUnavailable", phase, err)
			}
		}
	}
	recovered := func(phase string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, err := st.UserByID(ctx, "u1")
			if err == nil && st.Health(ctx) == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the store did not recover: %v", phase, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	ready := func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		return c.Close(ctx)
	}

	pg.Freeze()
	wantUnavailable("frozen", hammer(40))
	if err := st.Health(ctx); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("Health while frozen = %v", err)
	}
	pg.Thaw()
	recovered("thawed")

	pg.Stop()
	wantUnavailable("stopped", hammer(40))
	if err := st.Health(ctx); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("Health while stopped = %v", err)
	}
	pg.Restart(ready)
	recovered("restarted")

	// Over 80 failed calls and more: one line per cause seen (a minute's
	// interval), not one per call.
	lines := strings.Count(logs.String(), "\n")
	if lines == 0 || lines > 6 {
		t.Errorf("%d log lines for two outages, want one per cause:\n%s", lines, logs.String())
	}

	t.Logf("failure log:\n%s", logs.String())

	// Closing the pool of a frozen database gives up at its bound.
	pg.Freeze()
	hammer(5) // connections in use when the database froze
	start := time.Now()
	st.CloseWithin(500 * time.Millisecond)
	if d := time.Since(start); d > generous {
		t.Errorf("closing the store of a frozen database took %v", d)
	}
	pg.Thaw()
}

// A PostgreSQL that refuses writes (a standby, or a database set
// default_transaction_read_only, as here: every connection of the store
// opens read-only): writes fail as unavailable with the read_only cause,
// reads go on, and Health, what /readyz answers, fails with it.
func TestReadOnlyPostgresIsUnavailableForWrites(t *testing.T) {
	dsn, _ := testdb.PostgresSchema(t, "gh_ro_")
	ctx := context.Background()
	rw, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := rw.CreateUser(ctx, &gatehouse.User{ID: "u1", Username: "alice", PasswordHash: "x", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, Epoch: now}); err != nil {
		t.Fatal(err)
	}
	rw.Close()

	// libpq's options: the server starts each session read-only.
	roDSN := strings.Replace(dsn, "options=", "options=-c%20default_transaction_read_only%3Don%20", 1)
	raw, err := postgres.Open(ctx, roDSN)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	st := resilient.Wrap(raw, resilient.Config{Timeout: 2 * time.Second, Logger: slog.New(slog.NewJSONHandler(logs, nil)), LogEvery: time.Minute})
	defer st.CloseWithin(time.Second)

	if u, err := st.UserByID(ctx, "u1"); err != nil || u.Username != "alice" {
		t.Fatalf("a read on a read-only database: %+v, %v", u, err)
	}
	err = st.CreateUser(ctx, &gatehouse.User{ID: "u2", Username: "bob", PasswordHash: "x", CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, Epoch: now})
	if !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Fatalf("a write on a read-only database: %v, want ErrUnavailable", err)
	}
	if got := resilient.Classify(err); got != resilient.CauseReadOnly {
		t.Errorf("Classify(%v) = %q, want %q", err, got, resilient.CauseReadOnly)
	}
	if err := st.Health(ctx); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("Health on a read-only database: %v, want ErrUnavailable", err)
	}
	if !strings.Contains(logs.String(), resilient.CauseReadOnly) {
		t.Errorf("the failure was not logged with its cause:\n%s", logs.String())
	}
	if _, err := st.UserByID(ctx, "u2"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("the refused write left a user: %v", err)
	}
}
