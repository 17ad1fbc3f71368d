package resilient_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/resilient"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// Real drivers' errors, produced for real, and the cause each is.

func TestSQLiteDiskFullIsUnavailable(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	// max_page_count caps the file: SQLite answers SQLITE_FULL as on a
	// full disk.
	for _, q := range []string{`CREATE TABLE t (b BLOB)`, `PRAGMA max_page_count = 3`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var full error
	for range 100 {
		if _, full = db.ExecContext(ctx, `INSERT INTO t VALUES (randomblob(4000))`); full != nil {
			break
		}
	}
	if got := resilient.Classify(full); got != resilient.CauseDiskFull {
		t.Fatalf("Classify(%v) = %q, want %q", full, got, resilient.CauseDiskFull)
	}
}

func TestSQLiteReadOnlyIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	rw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	_, err = ro.Exec(`INSERT INTO t VALUES (1)`)
	if got := resilient.Classify(err); got != resilient.CauseReadOnly {
		t.Fatalf("Classify(%v) = %q, want %q", err, got, resilient.CauseReadOnly)
	}
}

func TestAConnectionRefusedIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pgx.Connect(ctx, "postgres://postgres@"+addr+"/x?sslmode=disable&connect_timeout=2")
	if got := resilient.Classify(err); got != resilient.CauseConnection {
		t.Fatalf("Classify(%v) = %q, want %q", err, got, resilient.CauseConnection)
	}
}

func TestDomainErrorsAndBugsAreNotUnavailable(t *testing.T) {
	for _, err := range []error{
		nil,
		gatehouse.ErrNotFound,
		fmt.Errorf("sqlite: get user: %w", gatehouse.ErrConflict),
		gatehouse.ErrStale,
		errors.New("sqlite: scan: converting NULL to string is unsupported"),
		context.Canceled,
	} {
		if got := resilient.Classify(err); got != "" {
			t.Errorf("Classify(%v) = %q, want none", err, got)
		}
	}
}

func TestAWriteToAClosedSQLiteStoreIsUnavailable(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	err = st.RecordEvent(context.Background(), &gatehouse.Event{Kind: gatehouse.EventLoginOK, Time: time.Now()})
	if got := resilient.Classify(err); got != resilient.CauseClosed {
		t.Fatalf("Classify(%v) = %q, want %q", err, got, resilient.CauseClosed)
	}
}
