package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// probeFileSize is how much the write probe writes beside the database:
// a few pages, what a login's commit may need.
const probeFileSize = 64 << 10

// ProbeWrite proves that a write can succeed now (readiness): it commits a
// write transaction that changes nothing (it sets the header's
// user_version to the value it has), which fails on a read-only or locked
// database, and writes, syncs and removes a small file in the database's
// directory, which fails on a full or read-only file system even while
// SQLite could still reuse space it already has.
func (s *Store) ProbeWrite(ctx context.Context) error {
	err := s.write(ctx, func(tx *wtx) error {
		var v int64
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v))
		return err
	})
	if err != nil {
		return wrap("probe write", err)
	}
	var seq int
	var name, file string
	if err := s.w.QueryRowContext(ctx, `PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		return wrap("probe write", err)
	}
	if file == "" { // an in-memory database
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(file), ".gatehouse-probe-*")
	if err != nil {
		return fmt.Errorf("sqlite: probe write: %w", err)
	}
	_, werr := f.Write(make([]byte, probeFileSize))
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(f.Name())
	if err := errors.Join(werr, serr, cerr, rerr); err != nil {
		return fmt.Errorf("sqlite: probe write: %w", err)
	}
	return nil
}
