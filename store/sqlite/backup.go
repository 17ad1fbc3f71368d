package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Backup writes a consistent copy of the database to path with VACUUM
// INTO, while other connections and processes go on reading and writing
// (docs/operations.md): the copy is the database as of the snapshot the
// statement reads, every transaction committed before it started
// included. path must not exist, or be an empty file; Backup creates it
// with mode 0600 first, since the copy holds what the database holds. The
// copy is then synced to disk and checked with PRAGMA integrity_check; on
// any failure the file is removed.
func (s *Store) Backup(ctx context.Context, path string) (err error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return fmt.Errorf("sqlite: backup: invalid file name %q", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	// The writer connection of this process, not a reader: readers are
	// query_only, and VACUUM INTO writes (to the new file only). It reads
	// one snapshot, so writers elsewhere are not held up.
	if _, err := s.w.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := syncFile(path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return checkIntegrity(ctx, path)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// checkIntegrity runs PRAGMA integrity_check on the database file at path,
// opened read-only.
func checkIntegrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite: integrity check of %s: %s", path, res)
	}
	return nil
}
