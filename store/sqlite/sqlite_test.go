package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/sqlite"
	"github.com/gatehouse/gatehouse/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, newStore)
	storetest.RunConcurrency(t, newStore)
}

// newStore is a fresh, migrated store on a file in a temporary directory.
func newStore(t *testing.T) gatehouse.Store {
	return openMigrated(t, filepath.Join(t.TempDir(), "gatehouse.db"))
}

func openMigrated(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// createUser stores an enabled user id in the zero epoch, which the
// sessions of the store-specific tests belong to.
func createUser(t testing.TB, s *sqlite.Store, id string) {
	t.Helper()
	at := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	u := &gatehouse.User{ID: id, Username: id, PasswordHash: "x", CreatedAt: at, UpdatedAt: at, PasswordChangedAt: at}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", id, err)
	}
}
