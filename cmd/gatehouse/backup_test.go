package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testserver"
)

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "g.db")
	if _, stderr, err := run(t, nil, "pw-of-alice-1234\n", "user", "add", "alice", "--password-stdin", "--db", db); err != nil {
		t.Fatalf("user add: %v %s", err, stderr)
	}
	out := filepath.Join(dir, "copy.db")
	stdout, stderr, err := run(t, nil, "", "backup", out, "--db", db)
	if err != nil {
		t.Fatalf("backup: %v %s", err, stderr)
	}
	if !strings.Contains(stdout, "integrity check ok") || !strings.Contains(stdout, "gatehouse sessions revoke --issued-before ") {
		t.Errorf("backup printed %q; want the integrity check and the command to run after a restore", stdout)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v, %v; want a 0600 file", fi, err)
	}
	// The copy is a database with alice in it.
	if stdout, _, err := run(t, nil, "", "user", "list", "--db", "sqlite:"+out); err != nil || !strings.Contains(stdout, "alice") {
		t.Errorf("user list of the copy: %q, %v; want alice", stdout, err)
	}
	// The command it prints works at once, on the copy (a time rounded up
	// to the next second was "in the future" for the rest of that second).
	if m := regexp.MustCompile(`gatehouse sessions revoke --issued-before (\S+)`).FindStringSubmatch(stdout); m == nil {
		t.Errorf("backup printed %q; want the revoke command", stdout)
	} else if _, stderr, err := run(t, nil, "", "sessions", "revoke", "--issued-before", m[1], "--db", "sqlite:"+out); err != nil {
		t.Errorf("the printed command, run at once: %v %s", err, stderr)
	}

	t.Run("an existing file is kept without --force", func(t *testing.T) {
		before, _ := os.ReadFile(out)
		_, stderr, err := run(t, nil, "", "backup", out, "--db", db)
		if err == nil || !strings.Contains(stderr+err.Error(), "exists: give --force to replace it") {
			t.Fatalf("backup over an existing file: %v %s; want a refusal", err, stderr)
		}
		if after, _ := os.ReadFile(out); string(after) != string(before) {
			t.Error("the refused backup changed the existing file")
		}
		if _, stderr, err := run(t, nil, "", "backup", out, "--force", "--db", db); err != nil {
			t.Fatalf("backup --force: %v %s", err, stderr)
		}
	})
	t.Run("PostgreSQL is refused, pointing to pg_dump", func(t *testing.T) {
		_, stderr, err := run(t, nil, "", "backup", filepath.Join(dir, "pg.db"), "--db", "postgres://gatehouse:secret@db.invalid/gatehouse")
		if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "docs/operations.md") ||
			strings.Contains(stderr+err.Error(), "secret") {
			t.Fatalf("backup on PostgreSQL: %v %s; want a refusal naming pg_dump and docs/operations.md, without the password", err, stderr)
		}
	})
	t.Run("a missing database is not created", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.db")
		if _, _, err := run(t, nil, "", "backup", filepath.Join(dir, "m.db"), "--db", "sqlite:"+missing); err == nil {
			t.Fatal("backup of a missing database succeeded")
		}
		if _, err := os.Stat(missing); err == nil {
			t.Fatal("backup created the missing database")
		}
	})
}

func TestSessionsRevokeIssuedBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	ctx := context.Background()
	st := migratedSQLite(t, path)
	clk := testclock.New(time.Now().Add(-10 * time.Minute))
	s := testserver.New(t, testserver.Options{Store: st, Clock: clk})
	const pw = "correct horse battery staple"
	s.AddUser("alice", pw)
	s.AddUser("bob", pw)
	old := []testserver.Tokens{s.Login(t, "alice", pw), s.Login(t, "bob", pw)}
	clk.Advance(time.Minute)
	cut := clk.Now()
	clk.Advance(time.Minute)
	recent := s.Login(t, "alice", pw)

	stdout, stderr, err := run(t, nil, "", "sessions", "revoke", "--issued-before", cut.Format(time.RFC3339Nano), "--db", "sqlite:"+path)
	if err != nil {
		t.Fatalf("sessions revoke: %v %s", err, stderr)
	}
	if !strings.HasPrefix(stdout, "ended 2 sessions issued before ") {
		t.Errorf("sessions revoke printed %q, want 2 sessions ended", stdout)
	}
	for _, tk := range old {
		if r := s.Bearer(t, "GET", "/userinfo", tk.AccessToken); r.Status != http.StatusUnauthorized {
			t.Errorf("an access token of a session issued before the cut: %s, want 401", r)
		}
		if r, _ := s.TryRefresh(t, tk.RefreshToken, nil); r.Status != http.StatusBadRequest || r.OAuthError() != "invalid_grant" {
			t.Errorf("a refresh token of a session issued before the cut: %s, want invalid_grant", r)
		}
		// The feed carries the revocation to the APIs: a "sid" entry.
		if revoked, err := st.IsRevoked(ctx, "", sid(t, tk.AccessToken)); err != nil || !revoked {
			t.Errorf("the session has no sid entry in the feed: %v, %v", revoked, err)
		}
	}
	if r := s.Bearer(t, "GET", "/userinfo", recent.AccessToken); r.Status != http.StatusOK {
		t.Errorf("the session issued after the cut: %s, want it alive", r)
	}
	s.Refresh(t, recent.RefreshToken)
}

func TestSessionsRevokeRefusesBadTimes(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	for _, bad := range []string{"", "yesterday", "0", "-1h", time.Now().Add(time.Hour).Format(time.RFC3339), "2026-13-01T00:00:00Z"} {
		_, stderr, err := run(t, nil, "", "sessions", "revoke", "--issued-before", bad, "--db", db)
		if err == nil || !strings.Contains(stderr+err.Error(), "--issued-before") {
			t.Errorf("--issued-before %q: %v %s; want a refusal naming the flag", bad, err, stderr)
		}
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"7d": now.Add(-7 * 24 * time.Hour), "90m": now.Add(-90 * time.Minute), "2026-04-30T10:00:00Z": now.Add(-26 * time.Hour),
	} {
		if got, err := parseIssuedBefore(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseIssuedBefore(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

// sid is the sid claim of an access token (read, not verified).
func sid(t *testing.T, jwt string) string {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.SID == "" {
		t.Fatalf("no sid in %s: %v", b, err)
	}
	return c.SID
}
