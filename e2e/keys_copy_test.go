package e2e_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the driver that writes the legacy rows

	"github.com/gatehouse/gatehouse/token"
)

// A copy of the database, without the key-encryption key, holds no
// signing key (docs/keys.md, "Sealed at rest"): not in the SQLite files,
// not in a pg_dump, not even for a database that held its keys in the
// clear before the upgrade. The same scan finds every key before it.

// legacyKey is a key as a database from before sealing held it.
type legacyKey struct {
	kid, alg, state string
	der             []byte   // PKCS#8, as stored
	secrets         [][]byte // the raw private numbers, which no copy may hold
}

// legacyKeys are an active and a next ES256 key, and a retired EdDSA and
// a retired RS256 key (from before an algorithm change).
func legacyKeys(t *testing.T) []legacyKey {
	t.Helper()
	var out []legacyKey
	for _, k := range []struct{ alg, state string }{{"ES256", "active"}, {"ES256", "next"}, {"EdDSA", "retired"}, {"RS256", "retired"}} {
		key, err := token.GenerateKey(token.Algorithm(k.alg))
		if err != nil {
			t.Fatal(err)
		}
		der, err := key.MarshalPrivate()
		if err != nil {
			t.Fatal(err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatal(err)
		}
		var secrets [][]byte
		switch p := priv.(type) {
		case *ecdsa.PrivateKey:
			b, _ := p.Bytes()
			secrets = append(secrets, b)
		case ed25519.PrivateKey:
			secrets = append(secrets, p.Seed())
		case *rsa.PrivateKey:
			secrets = append(secrets, p.D.Bytes(), p.Primes[0].Bytes(), p.Primes[1].Bytes())
		}
		out = append(out, legacyKey{kid: key.ID(), alg: k.alg, state: k.state, der: der, secrets: secrets})
	}
	return out
}

// parseablePrivateKeys counts the PKCS#8 private keys in b: every DER
// SEQUENCE, at any offset, that x509.ParsePKCS8PrivateKey reads.
func parseablePrivateKeys(b []byte) int {
	n := 0
	for i := 0; i+2 < len(b); i++ {
		if b[i] != 0x30 {
			continue
		}
		l, hdr := int(b[i+1]), 2
		switch {
		case l == 0x81 && i+2 < len(b):
			l, hdr = int(b[i+2]), 3
		case l == 0x82 && i+3 < len(b):
			l, hdr = int(b[i+2])<<8|int(b[i+3]), 4
		case l >= 0x80:
			continue
		}
		if end := i + hdr + l; end <= len(b) {
			if _, err := x509.ParsePKCS8PrivateKey(b[i:end]); err == nil {
				n++
			}
		}
	}
	return n
}

// exposed counts what b gives away of keys: parseable private keys, and
// raw private numbers (in binary or in hex text).
func exposed(b []byte, keys []legacyKey) (parsed, secrets int) {
	parsed = parseablePrivateKeys(b)
	lower := bytes.ToLower(b)
	for _, k := range keys {
		for _, s := range k.secrets {
			if bytes.Contains(b, s) || bytes.Contains(lower, []byte(hex.EncodeToString(s))) {
				secrets++
			}
		}
	}
	return parsed, secrets
}

// insertLegacyKeys writes keys as a database from before sealing held them
// (in the clear, no public half, no KEK), through a database/sql handle.
func insertLegacyKeys(t *testing.T, exec func(q string, args ...any) error, placeholder func(int) string, keys []legacyKey) {
	t.Helper()
	now := time.Now().UTC()
	for _, k := range keys {
		q := `INSERT INTO signing_keys (id, algorithm, private_key, state, created_at, activated_at, retired_at, signed_until) VALUES (` +
			placeholder(1) + `, ` + placeholder(2) + `, ` + placeholder(3) + `, ` + placeholder(4) + `, ` + placeholder(5) + `, ` +
			placeholder(6) + `, ` + placeholder(7) + `, ` + placeholder(8) + `)`
		var activated, retired, until any
		if k.state != "next" {
			activated, until = ts(now.Add(-time.Hour), placeholder), ts(now.Add(10*time.Minute), placeholder)
		}
		if k.state == "retired" {
			retired = ts(now.Add(-time.Minute), placeholder)
		}
		if err := exec(q, k.kid, k.alg, k.der, k.state, ts(now.Add(-2*time.Hour), placeholder), activated, retired, until); err != nil {
			t.Fatalf("insert legacy key: %v", err)
		}
	}
}

// ts is a time as the store writes it: SQLite microseconds, PostgreSQL
// timestamptz.
func ts(t time.Time, placeholder func(int) string) any {
	if placeholder(1) == "?" {
		return t.UnixMicro()
	}
	return t
}

func TestACopyOfTheDatabaseHoldsNoPrivateKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gatehouse.db")
	gatehouse(t, path, "", "migrate")
	keys := legacyKeys(t)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	insertLegacyKeys(t, func(q string, args ...any) error { _, err := db.Exec(q, args...); return err },
		func(int) string { return "?" }, keys)
	db.Close()
	before, _ := os.ReadFile(path)
	if p, s := exposed(before, keys); p != len(keys) || s == 0 {
		t.Fatalf("control: the scan finds %d keys and %d private numbers in the database from before, want %d and some", p, s, len(keys))
	}
	if out := gatehouse(t, path, "", "keys", "list"); !strings.Contains(out, "IN THE CLEAR") {
		t.Errorf("keys list does not say the keys are in the clear:\n%s", out)
	}

	// The first start with a key-encryption key (created beside the
	// database) seals them, and says so.
	gh := startGatehouse(t, path, "127.0.0.1:0")
	if !strings.Contains(gh.logs.String(), "now sealed under the key-encryption key") {
		t.Errorf("the server does not say it sealed the keys:\n%s", gh.logs.String())
	}
	published := kids(t, gh.url())
	for _, k := range keys {
		if !slices.Contains(published, k.kid) {
			t.Errorf("the %s key %s from before is not published: %v", k.state, k.kid, published)
		}
	}
	gatehouse(t, path, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	login(t, gh.url(), "alice", alicePassword)

	files := []string{path, path + "-wal", path + "-shm", filepath.Join(dir, "gatehouse.kek")}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		} else if err != nil && !strings.HasSuffix(f, "-shm") {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
	// A copy of the files taken while the server runs, and after it stopped.
	scan := func(when string) {
		t.Helper()
		for _, f := range files[:3] {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			if p, s := exposed(b, keys); p != 0 || s != 0 {
				t.Errorf("%s, %s holds %d parseable private keys and %d private numbers", when, filepath.Base(f), p, s)
			}
		}
	}
	scan("while the server runs")
	if code := gh.stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	scan("after the server stopped")

	// The copy alone does not start a server: its keys need the KEK.
	copyDir := t.TempDir()
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(filepath.Join(copyDir, "gatehouse.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gatehouseBin, "serve", "--db", "sqlite:"+filepath.Join(copyDir, "gatehouse.db"), "--addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "sealed under key-encryption key") {
		t.Errorf("serve on a copy without the KEK: %v\n%s\nwant a refusal naming the KEK it needs", err, out)
	}
	if _, err := os.Stat(filepath.Join(copyDir, "gatehouse.kek")); err == nil {
		t.Error("serve on a copy created a new key-encryption key")
	}
}

// hexBytea matches the bytea values of a plain pg_dump.
var hexBytea = regexp.MustCompile(`\\\\x([0-9a-f]+)`)

// pgDump returns a plain pg_dump of the database dsn, with its bytea
// values decoded after it, so that the scan reads them as bytes too.
func pgDump(t *testing.T, dsn string) []byte {
	t.Helper()
	pgdump, err := exec.LookPath("pg_dump")
	if err != nil {
		unavailable(t, "pg_dump", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, pgdump, "--no-owner", "--dbname", dsn).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	decoded := slices.Clone(out)
	for _, m := range hexBytea.FindAllSubmatch(out, -1) {
		if b, err := hex.DecodeString(string(m[1])); err == nil {
			decoded = append(decoded, b...)
		}
	}
	return decoded
}

func TestAPostgreSQLDumpHoldsNoPrivateKey(t *testing.T) {
	dsn := newPostgresDB(t)
	gatehouseOn(t, dsn, "", "migrate")
	keys := legacyKeys(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	insertLegacyKeys(t, func(q string, args ...any) error { _, err := conn.Exec(ctx, q, args...); return err },
		func(i int) string { return "$" + string(rune('0'+i)) }, keys)
	conn.Close(ctx)
	if p, s := exposed(pgDump(t, dsn), keys); p != len(keys) || s == 0 {
		t.Fatalf("control: the scan finds %d keys and %d private numbers in a dump from before, want %d and some", p, s, len(keys))
	}

	r := startReplica(t, dsn)
	if !strings.Contains(r.logs.String(), "now sealed under the key-encryption key") {
		t.Errorf("the replica does not say it sealed the keys:\n%s", r.logs.String())
	}
	if p, s := exposed(pgDump(t, dsn), keys); p != 0 || s != 0 {
		t.Errorf("a pg_dump holds %d parseable private keys and %d private numbers", p, s)
	}
	// And the keys generated since: the dump holds none of them either.
	dump := pgDump(t, dsn)
	if n := parseablePrivateKeys(dump); n != 0 {
		t.Errorf("a pg_dump holds %d parseable private keys", n)
	}
	if strings.Contains(string(dump), replicaKEK) {
		t.Error("the dump holds the key-encryption key")
	}
}
