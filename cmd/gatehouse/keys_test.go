package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/store/sqlite"
	"github.com/gatehouse/gatehouse/token"
)

// testKEK is a key-encryption key for tests that give one.
var testKEK = strings.TrimSpace(string(token.GenerateKEK()))

// runAt is run with the keys commands' clock at now.
func runAt(t *testing.T, now func() time.Time, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), lookupEnv: mapLookup(env), now: now}
	root := c.rootCmd()
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// keyStates returns kid → state from `keys list`.
func keyStates(t *testing.T, db string) map[string]string {
	t.Helper()
	out, _, err := run(t, nil, "", "keys", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, line := range lines[2:] { // the policy line, the header
		f := strings.Fields(line)
		states[f[0]] = f[2]
	}
	return states
}

// initKeys creates the keys of a new database db (and its key file): the
// first `keys rotate` creates them and then refuses to rotate, as the next
// key was published just now.
func initKeys(t *testing.T, db string, env map[string]string, args ...string) {
	t.Helper()
	_, _, err := run(t, env, "", append([]string{"keys", "rotate", "--db", db}, args...)...)
	if err == nil || !strings.Contains(err.Error(), "may sign from") {
		t.Fatalf("keys rotate on a new database: %v, want the keys created and no rotation", err)
	}
}

// keysOpen reports whether the keys commands open the keys of db with the
// key-encryption key that env and args give: `keys revoke` of an unknown
// kid looks the kid up only once the keyring is loaded.
func keysOpen(t *testing.T, db string, env map[string]string, args ...string) (bool, error) {
	t.Helper()
	_, _, err := run(t, env, "", append([]string{"keys", "revoke", "no-such-kid", "--db", db}, args...)...)
	if err != nil && strings.Contains(err.Error(), "no signing key") {
		return true, nil
	}
	return false, err
}

func kidIn(states map[string]string, state string) string {
	for kid, st := range states {
		if st == state {
			return kid
		}
	}
	return ""
}

func TestKeysRotateWaitsUntilTheNextKeyIsPublishedLongEnough(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	clk := testclock.New(time.Now())
	// On a new database: the keys are created, and the next key was
	// published a moment ago: no rotation, a non-zero exit, and when.
	_, _, err := runAt(t, clk.Now, nil, "keys", "rotate", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "may sign from") {
		t.Fatalf("keys rotate with a next key published just now: %v, want a refusal saying when", err)
	}
	before := keyStates(t, db)
	next := kidIn(before, "next")
	if next == "" || kidIn(before, "active") == "" {
		t.Fatalf("keys after a refused rotation: %v, want an active and a next key", before)
	}
	clk.Advance(5*time.Minute + gatehouse.KeyPublishMargin)
	out, _, err := runAt(t, clk.Now, nil, "keys", "rotate", "--db", db)
	if err != nil || !strings.Contains(out, next) {
		t.Fatalf("keys rotate a JWKS cache lifetime later: %q, %v", out, err)
	}
	after := keyStates(t, db)
	if after[next] != "active" || after[kidIn(before, "active")] != "retired" || kidIn(after, "next") == "" {
		t.Fatalf("keys after rotate %v (before %v): the former next key must be active, the active one retired", after, before)
	}
}

// TestKeysRotateDefaultsToTheStoredAlgorithm: `keys rotate` without --alg
// made an ES256 next key whatever the server signed with.
func TestKeysRotateDefaultsToTheStoredAlgorithm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db := "sqlite:" + path
	clk := testclock.New(time.Now())
	out, _, err := runAt(t, clk.Now, nil, "keys", "rotate", "--alg", "EdDSA", "--db", db)
	if err != nil || !strings.Contains(out, "signing algorithm is now EdDSA") {
		t.Fatalf("keys rotate --alg EdDSA: %q, %v", out, err)
	}
	for range 2 {
		clk.Advance(5*time.Minute + gatehouse.KeyPublishMargin)
		if _, _, err := runAt(t, clk.Now, nil, "keys", "rotate", "--db", db); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, keys, err := st.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Algorithm != "EdDSA" {
		t.Errorf("stored algorithm %s, want EdDSA", p.Algorithm)
	}
	for _, k := range keys {
		if k.State != gatehouse.KeyRetired && k.Algorithm != "EdDSA" {
			t.Errorf("%s key %s is %s, want EdDSA: the stored algorithm", k.State, k.ID, k.Algorithm)
		}
	}
	if _, _, err := run(t, nil, "", "keys", "rotate", "--alg", "HS256", "--db", db); err == nil {
		t.Error("keys rotate --alg HS256 was accepted")
	}
	if _, _, err := run(t, nil, "", "keys", "rotate", "--access-ttl", "1s", "--db", db); err == nil {
		t.Error("keys rotate --access-ttl was accepted: the retention of a key is not a flag's")
	}
}

func TestKeysRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db := "sqlite:" + path
	initKeys(t, db, nil)
	before := keyStates(t, db)
	active, next := kidIn(before, "active"), kidIn(before, "next")

	t.Run("an unknown kid is refused and nothing changes", func(t *testing.T) {
		_, _, err := run(t, nil, "", "keys", "revoke", "no-such-kid", "--db", db)
		if err == nil || !strings.Contains(err.Error(), "no signing key") {
			t.Fatalf("keys revoke of an unknown kid: %v", err)
		}
		if after := keyStates(t, db); len(after) != 2 || after[active] != "active" || after[next] != "next" {
			t.Fatalf("keys %v after a refused revocation, want %v", after, before)
		}
	})
	t.Run("the active key: the next key signs, a new next key, a feed entry", func(t *testing.T) {
		out, _, err := run(t, nil, "", "keys", "revoke", active, "--db", db)
		if err != nil || !strings.Contains(out, "revoked") || !strings.Contains(out, next+" is active") {
			t.Fatalf("keys revoke: %q, %v", out, err)
		}
		after := keyStates(t, db)
		if _, ok := after[active]; ok || after[next] != "active" || kidIn(after, "next") == "" {
			t.Fatalf("keys after revoking the active key: %v", after)
		}
		st, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rs, err := st.Revocations(context.Background(), 0, 10, time.Now())
		if err != nil || len(rs) != 1 || rs[0].Kind != gatehouse.RevokeKID || rs[0].Value != active {
			t.Fatalf("feed %+v, %v; want one kid entry for %s", rs, err, active)
		}
	})
}

func TestKEKFileBesideTheDatabase(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "gatehouse.db")
	kekPath := filepath.Join(dir, "gatehouse.kek")
	initKeys(t, db, nil)
	fi, err := os.Stat(kekPath)
	if err != nil {
		t.Fatalf("no key-encryption key beside the database: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", kekPath, fi.Mode().Perm())
	}
	text, _ := os.ReadFile(kekPath)
	kek, err := token.ParseKEK(text)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a key file others may read is tightened", func(t *testing.T) {
		os.Chmod(kekPath, 0o644)
		if ok, err := keysOpen(t, db, nil); !ok {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(kekPath); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v after a command, want 0600", fi.Mode().Perm())
		}
	})
	t.Run("without it, sealed keys are not replaced by a new key-encryption key", func(t *testing.T) {
		os.Rename(kekPath, kekPath+".away")
		defer os.Rename(kekPath+".away", kekPath)
		_, err := keysOpen(t, db, nil)
		if err == nil || !strings.Contains(err.Error(), "sealed under key-encryption key "+kek.ID()) {
			t.Fatalf("keys rotate without the KEK file: %v, want a refusal naming the KEK", err)
		}
		if _, err := os.Stat(kekPath); err == nil {
			t.Fatal("a new key-encryption key file was created for sealed keys")
		}
	})
	t.Run("another key-encryption key is refused", func(t *testing.T) {
		_, err := keysOpen(t, db, map[string]string{"GATEHOUSE_KEY_ENCRYPTION_KEY": testKEK})
		if err == nil || !strings.Contains(err.Error(), "sealed under") {
			t.Fatalf("keys rotate with another KEK: %v", err)
		}
	})
	t.Run("the environment and the flag together are refused", func(t *testing.T) {
		_, _, err := run(t, map[string]string{"GATEHOUSE_KEY_ENCRYPTION_KEY": testKEK}, "", "keys", "rotate",
			"--key-encryption-key-file", kekPath, "--db", db)
		if err == nil || !strings.Contains(err.Error(), "give one") {
			t.Fatalf("both: %v", err)
		}
	})
	t.Run("a malformed key is refused without quoting it", func(t *testing.T) {
		bad := testKEK[:20]
		_, _, err := run(t, map[string]string{"GATEHOUSE_KEY_ENCRYPTION_KEY": bad}, "", "keys", "rotate", "--db", db)
		if err == nil || strings.Contains(err.Error(), bad) {
			t.Fatalf("a malformed key: %v", err)
		}
	})
	t.Run("the database file alone holds no parseable private key", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, "gatehouse.db"))
		if err != nil {
			t.Fatal(err)
		}
		if n := parseablePrivateKeys(b); n != 0 {
			t.Fatalf("gatehouse.db holds %d parseable private keys", n)
		}
	})
}

// parseablePrivateKeys counts the PKCS#8 private keys in b: every DER
// SEQUENCE that x509.ParsePKCS8PrivateKey reads, at any offset.
func parseablePrivateKeys(b []byte) int {
	n := 0
	for i := 0; i+2 < len(b); i++ {
		if b[i] != 0x30 {
			continue
		}
		// The DER length: short form, or long form of one or two bytes.
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

func TestKeysRewrap(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "gatehouse.db")
	kekPath := filepath.Join(dir, "gatehouse.kek")
	initKeys(t, db, nil)
	oldText, _ := os.ReadFile(kekPath)
	oldKEK, _ := token.ParseKEK(oldText)

	t.Run("to a new file given", func(t *testing.T) {
		newPath := filepath.Join(dir, "new.kek")
		out, _, err := run(t, nil, "", "keys", "rewrap", "--new-key-encryption-key-file", newPath, "--db", db)
		if err != nil || !strings.Contains(out, "2 signing keys rewrapped") {
			t.Fatalf("keys rewrap: %q, %v", out, err)
		}
		if fi, err := os.Stat(newPath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("new key file: %v, %v", fi, err)
		}
		// The old file no longer opens the keys; the new one does.
		if ok, _ := keysOpen(t, db, nil); ok {
			t.Fatal("the old key-encryption key still opens the keys")
		}
		if ok, err := keysOpen(t, db, nil, "--key-encryption-key-file", newPath); !ok {
			t.Fatalf("the new key-encryption key: %v", err)
		}
		// And back, so the next subtest starts from the file beside the database.
		if _, _, err := run(t, nil, "", "keys", "rewrap", "--key-encryption-key-file", newPath, "--new-key-encryption-key-file", kekPath, "--db", db); err != nil {
			t.Fatalf("rewrap back: %v", err)
		}
	})
	t.Run("the file beside the database is replaced, the old one kept", func(t *testing.T) {
		out, _, err := run(t, nil, "", "keys", "rewrap", "--db", db)
		if err != nil {
			t.Fatalf("keys rewrap: %q, %v", out, err)
		}
		old := kekPath + "." + oldKEK.ID() + ".old"
		if b, err := os.ReadFile(old); err != nil || !bytes.Equal(b, oldText) {
			t.Fatalf("the old key-encryption key is not kept in %s: %v", old, err)
		}
		newText, _ := os.ReadFile(kekPath)
		if bytes.Equal(newText, oldText) {
			t.Fatal("the key file beside the database still holds the old key")
		}
		if fi, _ := os.Stat(kekPath); fi.Mode().Perm() != 0o600 {
			t.Errorf("new key file mode %v", fi.Mode().Perm())
		}
		if ok, err := keysOpen(t, db, nil); !ok {
			t.Fatalf("the keys do not open with the new file beside the database: %v", err)
		}
	})
}
