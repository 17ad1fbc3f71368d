package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/session"
)

// Finding 5: a revocation made by the command line was forgotten on the
// command line's clock (its default 15-minute access-token lifetime), so
// against a server minting 60-minute tokens the disabled admin's token
// worked again after the next housekeeping run.
func TestCommandLineDisableIsNotForgottenBeforeTheServersTokensExpire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	ctx := context.Background()
	st := migratedSQLite(t, path)
	// The command line reads the real clock; the server's starts there.
	clk := testclock.New(time.Now())
	s := testserver.New(t, testserver.Options{Store: st, Clock: clk, Session: func(c *session.Config) {
		c.AccessTTL = time.Hour
		c.IdleTTL = 24 * time.Hour
		c.MaxAge = 48 * time.Hour
	}})
	const pw = "correct horse battery staple"
	s.AddUser("root", pw, gatehouse.AdminScope)
	tok := s.Login(t, "root", pw, "scope", gatehouse.AdminScope).AccessToken

	if _, stderr, err := run(t, nil, "", "user", "disable", "root", "--db", "sqlite:"+path); err != nil {
		t.Fatalf("user disable: %v %s", err, stderr)
	}
	if r := s.Bearer(t, "GET", "/admin/users", tok); r.Status != http.StatusUnauthorized {
		t.Fatalf("right after the disable: %s, want 401", r)
	}
	var elapsed time.Duration
	for _, step := range []time.Duration{20 * time.Minute, 20 * time.Minute, 15 * time.Minute} {
		clk.Advance(step)
		elapsed += step
		if _, err := s.Sessions.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if r := s.Bearer(t, "GET", "/admin/users", tok); r.Status != http.StatusUnauthorized {
			t.Fatalf("%v after the disable and a housekeeping run, the disabled admin's token: %s, want 401", elapsed, r)
		}
	}
}
