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
