package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// keyStates returns kid → state from `keys list`.
func keyStates(t *testing.T, db string) map[string]string {
	t.Helper()
	out, _, err := run(t, nil, "", "keys", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		states[f[0]] = f[2]
	}
	return states
}

func TestKeysRotateMakesTheNextKeyActive(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	if _, _, err := run(t, nil, "", "keys", "rotate", "--db", db); err != nil {
		t.Fatal(err)
	}
	before := keyStates(t, db)
	var next string
	for kid, st := range before {
		if st == "next" {
			next = kid
		}
	}
	if next == "" {
		t.Fatalf("no next key after a first rotation: %v", before)
	}
	if _, _, err := run(t, nil, "", "keys", "rotate", "--db", db); err != nil {
		t.Fatal(err)
	}
	if got := keyStates(t, db)[next]; got != "active" {
		t.Fatalf("the former next key is %q after rotate, want active", got)
	}
}

func TestClientAddPrintsASecretThatListNeverShows(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	out, _, err := run(t, nil, "", "client", "add", "orders-api", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	var secret string
	for line := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(line, "client_secret:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	if len(secret) < 52 {
		t.Fatalf("secret %q is shorter than 256 bits of base32", secret)
	}
	list, _, err := run(t, nil, "", "client", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(list, secret) || !strings.Contains(list, "orders-api") {
		t.Fatalf("client list:\n%s", list)
	}
}
