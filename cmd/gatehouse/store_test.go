package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// testPostgres is the PostgreSQL the tests use: GATEHOUSE_TEST_POSTGRES, or
// the one on this machine.
func testPostgres() string {
	if u := os.Getenv("GATEHOUSE_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// postgresSchema creates an empty schema, dropped at the end of the test,
// and returns a --db URL whose connections use it. Without PostgreSQL the
// test is skipped, unless CI is set: then it fails.
func postgresSchema(t *testing.T) (dsn, schema string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testPostgres())
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL unreachable (%v); set GATEHOUSE_TEST_POSTGRES, or CI=true to fail", err)
		}
		t.Fatalf("PostgreSQL unreachable under CI=true: %v", err)
	}
	defer conn.Close(ctx)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema = "gh_cmd_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), testPostgres())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testPostgres())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", "-c search_path="+schema)
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // libpq URLs do not read "+" as a space
	return u.String(), schema
}

func TestDBPostgresOpensAndMigrates(t *testing.T) {
	dsn, schema := postgresSchema(t)

	out, _, err := run(t, nil, "", "migrate", "--db", dsn)
	if err != nil {
		t.Fatalf("migrate --db postgres://…: %v", err)
	}
	if !strings.Contains(out, "up to date") {
		t.Errorf("migrate said %q, want that the database is up to date", out)
	}

	// The schema is in the database named by the URL, in its search_path.
	conn, err := pgx.Connect(context.Background(), testPostgres())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var tables int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", schema).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables < 2 {
		t.Fatalf("schema %s has %d tables after migrate, want the migrated schema", schema, tables)
	}

	// Migrating again finds nothing to do; commands then work on the store.
	if _, _, err := run(t, nil, "", "migrate", "--db", dsn); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if _, _, err := run(t, nil, "correct horse battery staple\n", "user", "add", "alice", "--password-stdin", "--db", dsn); err != nil {
		t.Fatalf("user add on PostgreSQL: %v", err)
	}
	out, _, err = run(t, map[string]string{"GATEHOUSE_DB": dsn}, "", "user", "list")
	if err != nil {
		t.Fatalf("user list with GATEHOUSE_DB=postgres://…: %v", err)
	}
	if !strings.Contains(out, "alice") {
		t.Fatalf("user list = %q, want alice", out)
	}
	if _, _, err := run(t, nil, "", "keys", "rotate", "--db", dsn); err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	out, _, err = run(t, nil, "", "keys", "list", "--db", dsn)
	if err != nil {
		t.Fatalf("keys list: %v", err)
	}
	if !strings.Contains(out, "active") {
		t.Fatalf("keys list = %q, want an active key", out)
	}
}

func TestDBPostgresUnreachableErrorHidesThePassword(t *testing.T) {
	// Port 1 on the loopback refuses at once: no server needed.
	_, _, err := run(t, nil, "", "migrate", "--db", "postgres://gh:s3cretpw@127.0.0.1:1/gatehouse?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("migrate against a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("the error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("the error does not name the database: %v", err)
	}
}
