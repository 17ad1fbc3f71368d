package main

import (
	"strings"
	"testing"
)

func TestReadLineTakesTheFirstLineWithoutItsEnding(t *testing.T) {
	for in, want := range map[string]string{
		"s3cret pass\n":       "s3cret pass",
		"s3cret pass\r\n":     "s3cret pass",
		"s3cret pass":         "s3cret pass",
		"first\nsecond\n":     "first",
		" spaces kept \n":     " spaces kept ",
		"trailing tab\t\nx\n": "trailing tab\t",
	} {
		got, err := readLine(strings.NewReader(in))
		if err != nil || got != want {
			t.Errorf("readLine(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestReadLineRefusesAnEmptyOrEndlessLine(t *testing.T) {
	for name, in := range map[string]string{
		"empty":   "",
		"blank":   "\n",
		"endless": strings.Repeat("x", maxPasswordLine+10),
	} {
		if _, err := readLine(strings.NewReader(in)); err == nil {
			t.Errorf("%s stdin was accepted", name)
		}
	}
}

func TestUserAddWithoutATerminalNeedsPasswordStdin(t *testing.T) {
	_, _, err := run(t, nil, "whatever\n", "user", "add", "alice", "--db", "sqlite:"+t.TempDir()+"/g.db")
	if err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Fatalf("err = %v, want one pointing to --password-stdin", err)
	}
}

func TestUserAddEnforcesThePasswordPolicy(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/g.db"
	if _, _, err := run(t, nil, "short\n", "user", "add", "alice", "--password-stdin", "--db", db); err == nil {
		t.Fatal("a five-character password was accepted")
	}
	if _, _, err := run(t, nil, strings.Repeat("p", 2000)+"\n", "user", "add", "alice", "--password-stdin", "--db", db); err == nil {
		t.Fatal("a 2000-byte password was accepted")
	}
}

func TestUserAddCanonicalizesTheName(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/g.db"
	pw := "correct horse battery staple\n"
	if _, _, err := run(t, nil, pw, "user", "add", "Alice", "--password-stdin", "--db", db); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, nil, pw, "user", "add", "alice", "--password-stdin", "--db", db); err == nil {
		t.Fatal(`"alice" was added next to "Alice": the name was not canonicalized`)
	}
}
