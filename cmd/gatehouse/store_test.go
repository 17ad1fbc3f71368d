package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/testdb"
	"github.com/jackc/pgx/v5"
)

// postgresSchema creates an empty schema, dropped at the end of the test,
// and returns a --db URL whose connections use it.
func postgresSchema(t *testing.T) (dsn, schema string) {
	t.Helper()
	return testdb.PostgresSchema(t, "gh_cmd_")
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
	conn, err := pgx.Connect(context.Background(), testdb.PostgresURL())
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
	// The keys commands need the replicas' key-encryption key.
	if _, _, err := run(t, nil, "", "keys", "rotate", "--db", dsn); err == nil || !strings.Contains(err.Error(), "no key-encryption key") {
		t.Fatalf("keys rotate on PostgreSQL without a key-encryption key: %v, want a refusal", err)
	}
	env := map[string]string{"GATEHOUSE_KEY_ENCRYPTION_KEY": testKEK}
	if _, _, err := run(t, env, "", "keys", "rotate", "--alg", "EdDSA", "--db", dsn); err != nil {
		t.Fatalf("keys rotate --alg EdDSA: %v", err)
	}
	out, _, err = run(t, nil, "", "keys", "list", "--db", dsn)
	if err != nil {
		t.Fatalf("keys list: %v", err)
	}
	if !strings.Contains(out, "active") || !strings.Contains(out, "algorithm EdDSA") {
		t.Fatalf("keys list = %q, want an active key and the algorithm EdDSA", out)
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
