package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite" // the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse/gatehouse"
)

var _ gatehouse.Store = (*Store)(nil)

// Store is gatehouse.Store on one SQLite database file. It is safe for
// concurrent use, and other processes may use the same file at once.
type Store struct {
	w      *sql.DB   // one connection; every transaction is BEGIN IMMEDIATE
	r      *readPool // read-only connections
	writes *writer   // the goroutine that runs write transactions on w
	feed   *feedPoller
}

// pragmas apply to every connection. busy_timeout makes a connection wait
// for another process's write lock instead of failing with SQLITE_BUSY.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"

// Open opens (creating it if needed) the database file at path. It does
// not migrate: call Migrate. The file is put in WAL mode.
//
// The file holds signing keys and password hashes, so only its owner may
// use it. Open creates it with mode 0600 before SQLite opens it, and
// removes group and other permissions from an existing file and from any
// -wal and -shm left beside it (a 0644 file becomes 0600). SQLite creates
// -wal and -shm with the database file's mode. Open fails if it cannot
// change a mode, as on a file that another user owns.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open: invalid database path %q", path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			err = os.Chmod(p, fi.Mode().Perm()&^0o077)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: open: restrict access: %w", err)
		}
	}
	// The writer zeroes what it deletes (secure_delete): removed private key
	// material, dropped sealed successors and refresh-token hashes do not
	// linger in free space for a copy of the file to read.
	w, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=secure_delete(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// The writer connection is opened first so that it, not a reader,
	// switches a new file to WAL.
	if err := pingWriter(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(2, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s := &Store{w: w, r: &readPool{DB: r, stmts: newStmtCache(r)}, feed: newFeedPoller()}
	s.writes = newWriter(w, s.feed.poke)
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// pingWriter opens the writer's connection. Switching a new file to WAL
// takes an exclusive lock, and SQLite answers SQLITE_BUSY at once, without
// its busy handler, to a connection whose switch meets another's (several
// processes opening one new file at once: the CLI and a starting server).
// The switch is then tried again, for up to the busy timeout.
func pingWriter(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := w.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close stops waking feed readers, finishes the write transaction in
// progress (writes still queued fail with ErrClosed) and closes both pools.
func (s *Store) Close() error {
	s.feed.close()
	s.writes.close()
	s.r.stmts.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// write runs fn in a write transaction (BEGIN IMMEDIATE), shared with the
// other writes queued at the same time (writer.go): fn's writes are kept
// if it returns nil and the transaction commits, and undone otherwise.
// write returns once the transaction has committed (or failed). After a
// commit the feed poller is poked, which reads the feed's head if readers
// wait: whatever the transaction wrote, a feed entry wakes them at once.
func (s *Store) write(ctx context.Context, fn func(tx *wtx) error) error {
	return s.writes.do(ctx, fn)
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}
