package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

func TestUserCommandsRecordAuditEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db := "sqlite:" + path
	const pw = "correct horse battery staple"
	for _, args := range [][]string{
		{"user", "add", "alice", "--password-stdin", "--db", db},
		{"user", "disable", "alice", "--db", db},
		{"user", "enable", "alice", "--db", db},
		{"user", "passwd", "alice", "--password-stdin", "--db", db},
		{"user", "delete", "alice", "--db", db},
	} {
		if _, stderr, err := run(t, nil, pw+"\n", args...); err != nil {
			t.Fatalf("%v: %v %s", args, err, stderr)
		}
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(ctx, "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if strings.Contains(e.Detail, pw) {
			t.Errorf("event %q carries the password", e.Detail)
		}
		got = append(got, e.Kind+": "+e.Detail)
	}
	slices.Reverse(got) // oldest first
	want := []string{
		gatehouse.EventAdmin + `: user created with scope "" (by the command line)`,
		gatehouse.EventUserDisabled + ": user disabled (by the command line)",
		gatehouse.EventSessionRevoked + ": 0 sessions ended and every token issued before revoked (by the command line)",
		gatehouse.EventAdmin + ": user enabled (by the command line)",
		gatehouse.EventPasswordChanged + ": password set (by the command line)",
		gatehouse.EventSessionRevoked + ": 0 sessions ended and every token issued before revoked (by the command line)",
		gatehouse.EventAdmin + ": user deleted, 0 sessions ended (by the command line)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit events\n got %q\nwant %q", got, want)
	}
}
