package account_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/session"
)

const newPW = "a new and longer passphrase"

// loginGrant logs name in with password p.
func loginGrant(t *testing.T, s *testserver.Server, name, p string) *session.Grant {
	t.Helper()
	g, err := s.Accounts.Login(s.Ctx, account.LoginRequest{Username: name, Password: p, IP: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	return g
}

func honoured(t *testing.T, s *testserver.Server, access string) bool {
	t.Helper()
	_, err := s.Sessions.Authenticate(s.Ctx, access)
	if err != nil && !errors.Is(err, session.ErrInvalidToken) {
		t.Fatal(err)
	}
	return err == nil
}

func change(s *testserver.Server, g *session.Grant, current, next string) (*session.Grant, int, error) {
	return s.Accounts.ChangeOwnPassword(s.Ctx, account.PasswordChange{
		UserID: g.Session.UserID, SessionID: g.Session.ID, Current: current, New: next,
		IP: "192.0.2.7", UserAgent: "the account page",
	})
}

func TestChangeOwnPasswordEndsEveryOtherSessionAndKeepsTheAskingDevice(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newServer(t, pg)
		u := s.AddUser("alice", pw, "orders:read", "orders:write")
		mine := loginGrant(t, s, "alice", pw)
		narrowed, err := s.Accounts.Login(s.Ctx, account.LoginRequest{Username: "alice", Password: pw, Scopes: []string{"orders:read"}})
		if err != nil {
			t.Fatal(err)
		}
		others := []*session.Grant{loginGrant(t, s, "alice", pw), loginGrant(t, s, "alice", pw)}
		s.Clock.Advance(30 * time.Minute) // within the sessions' idle hour

		g, n, err := change(s, narrowed, pw, newPW)
		if err != nil {
			t.Fatalf("ChangeOwnPassword: %v", err)
		}
		if n != 3 {
			t.Errorf("%d other sessions ended, want 3", n)
		}
		if !honoured(t, s, g.AccessToken) {
			t.Fatal("the new session's access token is refused")
		}
		if _, err := s.Sessions.Refresh(s.Ctx, session.Refresh{Token: g.RefreshToken}); err != nil {
			t.Errorf("the new session does not refresh: %v", err)
		}
		for i, old := range append(others, mine, narrowed) {
			if honoured(t, s, old.AccessToken) {
				t.Errorf("session %d: an access token issued before the change is still honoured", i)
			}
			if _, err := s.Sessions.Refresh(s.Ctx, session.Refresh{Token: old.RefreshToken}); !errors.Is(err, session.ErrInvalidGrant) {
				t.Errorf("session %d: its refresh token still works: %v", i, err)
			}
		}
		if g.Session.ID == narrowed.Session.ID || g.Session.ClientID != narrowed.Session.ClientID {
			t.Errorf("new session %s of client %s, want a new id and the asking session's client", g.Session.ID, g.Session.ClientID)
		}
		if got := gatehouse.FormatScope(g.Scopes); got != "orders:read" {
			t.Errorf("new session's scope %q, want the asking session's orders:read", got)
		}
		if want := s.Clock.Now().Truncate(time.Second); !g.Claims.AuthTime.Equal(want) {
			t.Errorf("auth_time %v, want now (%v): the current password was just checked", g.Claims.AuthTime, want)
		}
		if ss, _ := s.Sessions.Sessions(s.Ctx, u.ID); len(ss) != 1 || ss[0].ID != g.Session.ID {
			t.Errorf("active sessions %v, want only the new one", ss)
		}
		if _, err := s.Accounts.Login(s.Ctx, account.LoginRequest{Username: "alice", Password: pw}); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("the old password still logs in: %v", err)
		}
		loginGrant(t, s, "alice", newPW)
		events, _ := s.Store.Events(s.Ctx, u.ID, 0, 100)
		var changed bool
		for _, e := range events {
			changed = changed || (e.Kind == gatehouse.EventPasswordChanged && e.IP == "192.0.2.7")
		}
		if !changed {
			t.Errorf("no password.changed event from the asking address in %v", events)
		}
	})
}

func TestChangeOwnPasswordRefusesWithoutChangingAnything(t *testing.T) {
	s := newServer(t, false)
	u := s.AddUser("alice", pw)
	mine, other := loginGrant(t, s, "alice", pw), loginGrant(t, s, "alice", pw)
	ended := loginGrant(t, s, "alice", pw)
	if err := s.Sessions.EndSession(s.Ctx, u.ID, ended.Session.ID, "test"); err != nil {
		t.Fatal(err)
	}
	bob := s.AddUser("bob", pw)
	for _, tc := range []struct {
		name string
		pc   account.PasswordChange
		want error
	}{
		{"a wrong current password", account.PasswordChange{UserID: u.ID, SessionID: mine.Session.ID, Current: "not it", New: newPW}, account.ErrBadCredentials},
		{"a new password the policy refuses", account.PasswordChange{UserID: u.ID, SessionID: mine.Session.ID, Current: pw, New: "short"}, password.ErrTooShort},
		{"a current password over the cap", account.PasswordChange{UserID: u.ID, SessionID: mine.Session.ID, Current: string(make([]byte, 2000)), New: newPW}, password.ErrTooLong},
		{"an ended session", account.PasswordChange{UserID: u.ID, SessionID: ended.Session.ID, Current: pw, New: newPW}, account.ErrSessionEnded},
		{"another user's session", account.PasswordChange{UserID: bob.ID, SessionID: mine.Session.ID, Current: pw, New: newPW}, account.ErrSessionEnded},
		{"no such session", account.PasswordChange{UserID: u.ID, SessionID: "nope", Current: pw, New: newPW}, account.ErrSessionEnded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := s.Accounts.ChangeOwnPassword(s.Ctx, tc.pc); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			got, _ := s.Accounts.Get(s.Ctx, u.ID)
			if got.PasswordHash != u.PasswordHash || got.Version != u.Version {
				t.Error("the user changed")
			}
			if !honoured(t, s, mine.AccessToken) || !honoured(t, s, other.AccessToken) {
				t.Error("a session ended")
			}
		})
	}
}

func TestWrongCurrentPasswordsAreThrottledAsLoginsAre(t *testing.T) {
	s := testserver.New(t, testserver.Options{}) // the default throttle
	s.AddUser("alice", pw)
	mine := loginGrant(t, s, "alice", pw)
	var throttled *account.ThrottledError
	for i := range 10 {
		_, _, err := change(s, mine, "guess", newPW)
		if errors.As(err, &throttled) {
			if i != 6 {
				t.Fatalf("throttled at guess %d, want at the 7th (5 free failures, then a delay)", i+1)
			}
			break
		}
		if !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if throttled == nil {
		t.Fatal("ten wrong current passwords in a row were never throttled")
	}
	// The pair's delay holds for the right password too, as at login.
	if _, _, err := change(s, mine, pw, newPW); !errors.As(err, &throttled) {
		t.Fatalf("the right password during the delay: %v, want throttled", err)
	}
}

func TestAnAdminResetDuringAPasswordChangeWins(t *testing.T) {
	p := &pausingUpdate{reached: make(chan struct{}), release: make(chan struct{})}
	s := testserver.New(t, testserver.Options{Throttle: &testserver.NoLimits,
		Wrap: func(st gatehouse.Store) gatehouse.Store { p.Store = st; return p }})
	u := s.AddUser("alice", pw)
	mine := loginGrant(t, s, "alice", pw)
	type result struct {
		g   *session.Grant
		err error
	}
	done := make(chan result, 1)
	go func() {
		g, _, err := change(s, mine, pw, newPW)
		done <- result{g, err}
	}()
	<-p.reached // the current password is checked; the write waits
	reset := "the administrator's reset"
	if _, _, err := s.Accounts.Update(s.Ctx, u.ID, account.Changes{Password: &reset}, admin); err != nil {
		t.Fatal(err)
	}
	close(p.release)
	r := <-done
	if !errors.Is(r.err, account.ErrSessionEnded) || r.g != nil {
		t.Fatalf("ChangeOwnPassword: session started %v, err %v; want ErrSessionEnded and no session", r.g != nil, r.err)
	}
	if _, err := s.Accounts.Login(s.Ctx, account.LoginRequest{Username: "alice", Password: reset}); err != nil {
		t.Errorf("the administrator's password was undone: %v", err)
	}
	if _, err := s.Accounts.Login(s.Ctx, account.LoginRequest{Username: "alice", Password: newPW}); !errors.Is(err, account.ErrBadCredentials) {
		t.Errorf("the user's new password was written over the reset: %v", err)
	}
	if honoured(t, s, mine.AccessToken) {
		t.Error("the asking session survived the reset")
	}
}

// pausingUpdate stops the first UpdateUser until released.
// (Later calls, the administrator's, go straight through.)
type pausingUpdate struct {
	gatehouse.Store
	reached, release chan struct{}
	first            atomic.Bool
}

func (p *pausingUpdate) UpdateUser(ctx context.Context, u *gatehouse.User, reason string) (int, error) {
	if p.first.CompareAndSwap(false, true) {
		close(p.reached)
		<-p.release
	}
	return p.Store.UpdateUser(ctx, u, reason)
}
