package sqlite

import "context"

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
