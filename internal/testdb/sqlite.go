// Package testdb opens the databases the tests run on. Test code only.
package testdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehouse/gatehouse/store/sqlite"
)

// SQLite returns a migrated store on a new SQLite file in t.TempDir(),
// closed when the test ends.
func SQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}
