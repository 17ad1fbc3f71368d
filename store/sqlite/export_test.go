package sqlite

import (
	"context"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// Pragma reads a PRAGMA on the writer connection (tests only).
func (s *Store) Pragma(ctx context.Context, name string) (string, error) {
	var v string
	err := s.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// MigrationRows counts goose's version rows (tests only).
func (s *Store) MigrationRows(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM goose_db_version").Scan(&n)
	return n, err
}

// Migrations is a goose provider of the embedded migrations on the writer
// connection, to migrate to a given version (tests only).
func (s *Store) Migrations() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, s.w, fsys, goose.WithDisableGlobalRegistry(true))
}

// Exec runs a statement on the writer connection (tests only): rows of an
// older schema, or states no method writes.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.w.ExecContext(ctx, query, args...)
	return err
}

// QueryInt reads one integer on the writer connection (tests only).
func (s *Store) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.w.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// HoldWriter runs a write that waits until release is called: the writes
// queued meanwhile are taken together by the next batch (tests only).
func (s *Store) HoldWriter() (release func()) {
	started, rel, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s.write(context.Background(), func(*wtx) error {
			close(started)
			<-rel
			return nil
		})
	}()
	<-started
	return func() { close(rel); <-done }
}

// QueuedWrites is the number of writes waiting for the writer (tests only).
func (s *Store) QueuedWrites() int { return len(s.writes.queue) }

// WriteBatches is the number of write transactions committed (tests only).
func (s *Store) WriteBatches() int64 { return s.writes.batches.Load() }

// WriterStopping reports whether Close has begun (tests only).
func (s *Store) WriterStopping() bool {
	select {
	case <-s.writes.quit:
		return true
	default:
		return false
	}
}
