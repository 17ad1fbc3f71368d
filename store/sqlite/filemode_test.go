//go:build unix

package sqlite_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// The database holds signing keys and password hashes: its file, -wal and
// -shm are for the owner alone, whatever the umask. The umask is
// process-wide, so these tests do not run in parallel.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022)) // the usual umask, which leaves files 0644
	ctx := context.Background()
	// written opens a store on path, migrates it and writes a user, so
	// that -wal and -shm exist. The store is left open: closing the last
	// connection removes them.
	written := func(t *testing.T, path string) *sqlite.Store {
		t.Helper()
		s := openMigrated(t, path)
		u := &gatehouse.User{ID: "u1", Username: "alice", PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0, PasswordChangedAt: t0}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("a new database, its -wal and -shm are created 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "g.db")
		written(t, path)
		wantMode(t, 0o600, path, path+"-wal", path+"-shm")
	})

	t.Run("an existing 0644 database becomes 0600, and so do the -wal and -shm made from it", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "g.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil { // an empty file is an empty database
			t.Fatal(err)
		}
		wantMode(t, 0o644, path)
		written(t, path)
		wantMode(t, 0o600, path, path+"-wal", path+"-shm")
	})

	t.Run("existing 0644 -wal and -shm beside a 0644 database become 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "g.db")
		written(t, path) // keeps -wal and -shm in use, as another process would
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		openMigrated(t, path)
		wantMode(t, 0o600, path, path+"-wal", path+"-shm")
	})

	t.Run("an existing group-writable 0660 database becomes 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "g.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o660); err != nil {
			t.Fatal(err)
		}
		written(t, path)
		wantMode(t, 0o600, path, path+"-wal", path+"-shm")
	})
}

func wantMode(t *testing.T, want fs.FileMode, paths ...string) {
	t.Helper()
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %#o, want %#o", filepath.Base(p), got, want)
		}
	}
}
