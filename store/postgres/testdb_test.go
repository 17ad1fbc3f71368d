package postgres

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testdb"
)

// The tests talk to a real PostgreSQL (testdb.PostgresURL). Each test store
// lives in its own schema, dropped when the test ends. Without a database
// the tests skip, except under CI=true, where they fail.

// newSchema creates an empty schema, dropped at the end of the test, and
// returns a URL whose connections use it.
func newSchema(t testing.TB) string {
	t.Helper()
	u, _ := testdb.PostgresSchema(t, "gh_test_")
	return u
}

// openURL opens and migrates a Store, closed at the end of the test
// (before its schema is dropped).
func openURL(t testing.TB, u string) *Store {
	t.Helper()
	s, err := Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestStore is a migrated Store in a fresh schema.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	return openURL(t, newSchema(t))
}
