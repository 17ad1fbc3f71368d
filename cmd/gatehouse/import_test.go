package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func tempDB(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "g.db") }

func bcryptHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// showUser is `gatehouse user show NAME` decoded.
func showUser(t *testing.T, db, name string) map[string]any {
	t.Helper()
	out, _, err := run(t, nil, "", "user", "show", name, "--db", db)
	if err != nil {
		t.Fatalf("user show %s: %v", name, err)
	}
	var u map[string]any
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		t.Fatalf("user show output %q: %v", out, err)
	}
	return u
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := writeAll(p, content); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportJSONLinesAndCSV(t *testing.T) {
	h := bcryptHash(t, "old password 1")
	db := tempDB(t)
	jsonl := writeFile(t, "users.jsonl", fmt.Sprintf(`{"username":"alice","password_hash":%q,"scope":"orders:read","claims":{"role":"admin"}}

{"username":"bob","password_hash":%q,"scope":["a","b"],"disabled":true}
`, h, h))
	out, _, err := run(t, nil, "", "user", "import", jsonl, "--db", db)
	if err != nil || !strings.Contains(out, "2 user(s) created") {
		t.Fatalf("import jsonl: %q, %v", out, err)
	}
	a := showUser(t, db, "alice")
	if a["password_hash_scheme"] != "bcrypt" || fmt.Sprint(a["claims"]) != "map[role:admin]" || fmt.Sprint(a["scopes"]) != "[orders:read]" {
		t.Errorf("alice = %v", a)
	}
	if b := showUser(t, db, "bob"); b["disabled"] != true || fmt.Sprint(b["scopes"]) != "[a b]" {
		t.Errorf("bob = %v", b)
	}
	// CSV, from stdin, a byte order mark and quoted claims; columns in any order.
	csvIn := "\ufeffpassword_hash,username,claims,disabled,scope\n" +
		h + `,carol,"{""role"":""user""}",false,orders:read orders:write` + "\n" +
		h + ",dave,,,\n"
	out, _, err = run(t, nil, csvIn, "user", "import", "-", "--db", db)
	if err != nil || !strings.Contains(out, "2 user(s) created") {
		t.Fatalf("import csv: %q, %v", out, err)
	}
	if c := showUser(t, db, "carol"); fmt.Sprint(c["claims"]) != "map[role:user]" || fmt.Sprint(c["scopes"]) != "[orders:read orders:write]" {
		t.Errorf("carol = %v", c)
	}
	if d := showUser(t, db, "dave"); fmt.Sprint(d["scopes"]) != "[]" || d["disabled"] != false {
		t.Errorf("dave = %v", d)
	}
}

func TestImportRefusesBadLinesWithTheirNumbersAndWritesNothing(t *testing.T) {
	h := bcryptHash(t, "old password 1")
	db := tempDB(t)
	if _, _, err := run(t, nil, "correct horse battery staple\n", "user", "add", "taken", "--password-stdin", "--db", db); err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		fmt.Sprintf(`{"username":"ok","password_hash":%q}`, h),
		`{"username":"md5","password_hash":"$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"}`,
		fmt.Sprintf(`{"username":"typo","passwordhash":%q}`, h),
		`not json`,
		fmt.Sprintf(`{"username":"ok","password_hash":%q}`, h),
		fmt.Sprintf(`{"username":"taken","password_hash":%q}`, h),
		fmt.Sprintf(`{"username":"claims","password_hash":%q,"claims":{"iss":"me"}}`, h),
		fmt.Sprintf(`{"username":"twice","username":"admin","password_hash":%q}`, h),
		fmt.Sprintf(`{"username":"dup","password_hash":%q,"claims":{"a":1,"a":2}}`, h),
	}, "\n")
	_, stderr, err := run(t, nil, in, "user", "import", "-", "--format", "jsonl", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "8 line(s) refused; nothing was imported") {
		t.Fatalf("err = %v\n%s", err, stderr)
	}
	for _, want := range []string{"line 2 ", "line 3:", "line 4:", "also on line 1", "line 6 ", "--update", "line 7 ", `"iss"`, "line 8:", "given twice", "line 9 "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	out, _, _ := run(t, nil, "", "user", "list", "--db", db)
	if strings.Contains(out, "ok ") || strings.Count(out, "\n") != 2 {
		t.Fatalf("users after a refused import:\n%s", out)
	}
	// CSV: an unknown column is refused before any line.
	_, _, err = run(t, nil, "username,password\nx,y\n", "user", "import", "-", "--format", "csv", "--db", db)
	if err == nil || !strings.Contains(err.Error(), `unknown column "password"`) {
		t.Fatalf("csv with a password column: %v", err)
	}
	_, stderr, err = run(t, nil, "username,password_hash,disabled\nx,"+h+",maybe\ny,z\n", "user", "import", "-", "--format", "csv", "--db", db)
	if err == nil || !strings.Contains(stderr, "line 2") || !strings.Contains(stderr, "line 3") {
		t.Fatalf("csv bad lines: %v\n%s", err, stderr)
	}
}

func TestImportDryRunAndUpdate(t *testing.T) {
	h, h2 := bcryptHash(t, "old password 1"), bcryptHash(t, "new password 2")
	db := tempDB(t)
	first := fmt.Sprintf(`{"username":"alice","password_hash":%q,"scope":"a b"}`+"\n", h)
	if _, _, err := run(t, nil, first, "user", "import", "-", "--db", db); err != nil {
		t.Fatal(err)
	}
	next := fmt.Sprintf(`{"username":"alice","password_hash":%q,"scope":"a"}`+"\n"+`{"username":"bob","password_hash":%q}`+"\n", h2, h)
	if _, _, err := run(t, nil, next, "user", "import", "-", "--db", db); err == nil {
		t.Fatal("an existing user was accepted without --update")
	}
	out, _, err := run(t, nil, next, "user", "import", "-", "--update", "--dry-run", "--db", db)
	if err != nil || !strings.Contains(out, "1 user(s) would be created, 1 updated, 0 unchanged; nothing was written") {
		t.Fatalf("dry run: %q, %v", out, err)
	}
	if _, _, err := run(t, nil, "", "user", "show", "bob", "--db", db); err == nil {
		t.Fatal("a dry run created bob")
	}
	out, _, err = run(t, nil, next, "user", "import", "-", "--update", "--db", db)
	if err != nil || !strings.Contains(out, "1 user(s) created, 1 updated") {
		t.Fatalf("update: %q, %v", out, err)
	}
	if a := showUser(t, db, "alice"); fmt.Sprint(a["scopes"]) != "[a]" {
		t.Errorf("alice after --update = %v", a)
	}
}

func TestPasswordStdinRefusesAPasswordHash(t *testing.T) {
	db := tempDB(t)
	for _, h := range []string{
		bcryptHash(t, "old password 1"),
		"$pbkdf2-sha256$29000$N2YuzflfC6E0ZoyxNgaA8A$UZEbbOxoLF2ypgkfrq8XeZZohWgSJzNl4svjv6IsUbM",
		"$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3InaxBeoomnAihCKRVQP22JZ6EY47Wc6BkroIuUUBOov1i.S5KPgErtP/EN5mcO.ChWQW21",
	} {
		_, _, err := run(t, nil, h+"\n", "user", "add", "alice", "--password-stdin", "--db", db)
		if err == nil || !strings.Contains(err.Error(), "user import") {
			t.Errorf("a hash as a password: %v, want a refusal pointing at user import", err)
		}
	}
	out, _, _ := run(t, nil, "", "user", "list", "--db", db)
	if strings.Contains(out, "alice") {
		t.Fatal("a refused add created alice")
	}
	if _, _, err := run(t, nil, "correct horse battery staple\n", "user", "add", "alice", "--password-stdin", "--db", db); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, nil, bcryptHash(t, "x")+"\n", "user", "passwd", "alice", "--password-stdin", "--db", db); err == nil {
		t.Error("passwd took a hash as the password")
	}
}

func TestClaimFlags(t *testing.T) {
	db := tempDB(t)
	pw := "correct horse battery staple\n"
	_, _, err := run(t, nil, pw, "user", "add", "alice", "--password-stdin", "--db", db,
		"--claim", "role=admin", "--claim", "level=3", "--claim", `tags=["a","b"]`, "--claim", "on=true", "--claim", `quoted="3"`, "--claim", "empty=")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(showUser(t, db, "alice")["claims"])
	if want := `{"empty":"","level":3,"on":true,"quoted":"3","role":"admin","tags":["a","b"]}`; string(got) != want {
		t.Fatalf("claims %s, want %s", got, want)
	}
	out, _, err := run(t, nil, "", "user", "set", "alice", "--unset-claim", "level", "--claim", "role=user", "--db", db)
	if err != nil || !strings.Contains(out, `"role":"user"`) || strings.Contains(out, "level") || !strings.Contains(out, "0 session(s) ended") {
		t.Fatalf("user set: %q, %v", out, err)
	}
	for _, args := range [][]string{
		{"--claim", "sub=me"}, {"--claim", "noequals"}, {"--claim", "=x"}, {"--claim", "a=1", "--claim", "a=2"},
		{"--claim", "blob=" + strings.Repeat("x", 1100)}, {},
	} {
		if _, _, err := run(t, nil, "", append([]string{"user", "set", "alice", "--db", db}, args...)...); err == nil {
			t.Errorf("user set %q was accepted", args)
		}
	}
	if _, _, err := run(t, nil, pw, "user", "add", "bob", "--password-stdin", "--claim", "aud=x", "--db", db); err == nil {
		t.Error("user add with a reserved claim was accepted")
	}
}
