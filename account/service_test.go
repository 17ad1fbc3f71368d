package account_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
)

const pw = "correct horse battery staple"

var admin = account.Actor{By: "an admin"}

func newServer(t *testing.T, pg bool) *testserver.Server {
	return testserver.New(t, testserver.Options{Postgres: pg, Throttle: &testserver.NoLimits})
}

func stores(t *testing.T, test func(t *testing.T, pg bool)) {
	t.Run("sqlite", func(t *testing.T) { test(t, false) })
	t.Run("postgres", func(t *testing.T) { test(t, true) })
}

func login(t *testing.T, s *testserver.Server, name string) error {
	t.Helper()
	_, err := s.Accounts.Login(s.Ctx, account.LoginRequest{Username: name, Password: pw, IP: "192.0.2.1"})
	return err
}

func TestConcurrentChangesOfOneUserAreAllApplied(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newServer(t, pg)
		for round := range 5 {
			u, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: fmt.Sprintf("u%d", round), Password: pw, Scopes: []string{"a"}}, admin)
			if err != nil {
				t.Fatal(err)
			}
			// Each change is decided on the user as read; a change that lost
			// the race is decided again, so none undoes another.
			const n = 8
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					<-start
					var c account.Changes
					if i == 0 {
						yes := true
						c.Disabled = &yes
					} else {
						sc := []string{"a", fmt.Sprintf("s%d", i)}
						c.Scopes = &sc
					}
					_, _, errs[i] = s.Accounts.Update(s.Ctx, u.ID, c, admin)
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d change %d: %v", round, i, err)
				}
			}
			got, err := s.Accounts.Get(s.Ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Disabled {
				t.Errorf("round %d: the disable was undone by a concurrent scope change", round)
			}
			if got.Version != int64(1+n) {
				t.Errorf("round %d: version %d after %d changes, want %d", round, got.Version, n, 1+n)
			}
		}
	})
}

func TestAddingAScopeEndsNothingTakingOneAwayEndsEverything(t *testing.T) {
	s := newServer(t, false)
	u, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "alice", Password: pw, Scopes: []string{"a"}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := login(t, s, "alice"); err != nil {
		t.Fatal(err)
	}
	more := []string{"a", "b"}
	if _, n, err := s.Accounts.Update(s.Ctx, u.ID, account.Changes{Scopes: &more}, admin); err != nil || n != 0 {
		t.Fatalf("adding a scope ended %d sessions (%v)", n, err)
	}
	fewer := []string{"b"}
	if _, n, err := s.Accounts.Update(s.Ctx, u.ID, account.Changes{Scopes: &fewer}, admin); err != nil || n != 1 {
		t.Fatalf("taking a scope away ended %d sessions (%v), want 1", n, err)
	}
	no := false
	if _, n, err := s.Accounts.Update(s.Ctx, u.ID, account.Changes{Disabled: &no}, admin); err != nil || n != 0 {
		t.Fatalf("enabling an enabled user ended %d sessions (%v)", n, err)
	}
}

func TestALoginSurvivesAnEpochMoveThatLeftItsPasswordValid(t *testing.T) {
	// "Log out everywhere" on another device while this login is in
	// flight: the password checked is still the user's, so the login goes
	// on, under the new epoch.
	p := &pausing{username: "alice", reached: make(chan struct{}), release: make(chan struct{})}
	s := testserver.New(t, testserver.Options{Throttle: &testserver.NoLimits, Wrap: func(st gatehouse.Store) gatehouse.Store { p.Store = st; return p }})
	u := s.AddUser("alice", pw)
	done := make(chan error, 1)
	go func() { done <- login(t, s, "alice") }()
	<-p.reached
	if _, err := s.Accounts.EndSessions(s.Ctx, u.ID, "logout everywhere", admin); err != nil {
		t.Fatal(err)
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Fatalf("a login whose password is still valid failed: %v", err)
	}
	if ss, _ := s.Sessions.Sessions(s.Ctx, u.ID); len(ss) != 1 {
		t.Errorf("%d sessions, want the login's", len(ss))
	}
}

// pausing stops the first read of a user by name until released.
type pausing struct {
	gatehouse.Store
	username         string
	reached, release chan struct{}
	once             sync.Once
}

func (p *pausing) UserByUsername(ctx context.Context, name string) (*gatehouse.User, error) {
	u, err := p.Store.UserByUsername(ctx, name)
	if name == p.username {
		p.once.Do(func() { close(p.reached); <-p.release })
	}
	return u, err
}

func TestTheRehashReplacesOnlyTheHashItVerified(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newServer(t, pg)
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		u := s.AddUserHash("alice", string(h))
		if err := login(t, s, "alice"); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Accounts.Get(s.Ctx, u.ID)
		if got.PasswordHash == string(h) || got.Version != 2 || !got.Epoch.Equal(u.Epoch) {
			t.Fatalf("after a login with a bcrypt hash: hash upgraded %v, version %d, epoch moved %v",
				got.PasswordHash != string(h), got.Version, !got.Epoch.Equal(u.Epoch))
		}
		if err := s.Store.ReplacePasswordHash(s.Ctx, u.ID, string(h), "$argon2id$other", time.Now()); !errors.Is(err, gatehouse.ErrStale) {
			t.Errorf("replacing a hash that is no longer the user's: %v, want ErrStale", err)
		}
	})
}

func TestLoginErrorsSayNothingAboutWhichCredentialWasWrong(t *testing.T) {
	s := newServer(t, false)
	s.AddUser("alice", pw)
	off := s.AddUser("off", pw)
	yes := true
	if _, _, err := s.Accounts.Update(s.Ctx, off.ID, account.Changes{Disabled: &yes}, admin); err != nil {
		t.Fatal(err)
	}
	for _, l := range []account.LoginRequest{
		{Username: "alice", Password: "wrong password"},
		{Username: "nobody", Password: pw},
		{Username: "off", Password: pw},
		{Username: "\u0430lice", Password: pw},
	} {
		if _, err := s.Accounts.Login(s.Ctx, l); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("%q: %v, want ErrBadCredentials", l.Username, err)
		}
	}
	if _, err := s.Accounts.Login(s.Ctx, account.LoginRequest{Username: "alice", Password: pw, Scopes: []string{"nope"}}); !errors.Is(err, account.ErrInvalidScope) {
		t.Errorf("a scope the user lacks: %v", err)
	}
}

func TestCreateRefusesBadInputBeforeHashing(t *testing.T) {
	s := newServer(t, false)
	for _, c := range []struct {
		n    account.NewUser
		want error
	}{
		{account.NewUser{Username: "\u0430lice", Password: pw}, account.ErrInvalidUsername},
		{account.NewUser{Username: "bob", Password: "short"}, password.ErrTooShort},
		{account.NewUser{Username: "bob", Password: pw, Scopes: []string{"a b"}}, account.ErrInvalidScope},
	} {
		if _, err := s.Accounts.Create(s.Ctx, c.n, admin); !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.n.Username, err, c.want)
		}
	}
	if _, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "Bob", Password: pw}, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "BOB", Password: pw}, admin); !errors.Is(err, account.ErrUsernameTaken) {
		t.Errorf("a taken name in another case: %v", err)
	}
	us, _ := s.Accounts.List(s.Ctx)
	if len(us) != 1 || !slices.Equal([]string{us[0].Username}, []string{"bob"}) {
		t.Errorf("users %v", us)
	}
}
