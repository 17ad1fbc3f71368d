package abuse_test

// The findings of the adversarial review of a user's state (a user's state
// is one consistent thing: every change takes effect at once, under any
// concurrency). Each test is named after its finding and reproduces it the
// way it was found, through the HTTP API of a real server; docs/security.md
// maps each finding to its test.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
)

// stores runs a test on SQLite and on PostgreSQL.
func stores(t *testing.T, test func(t *testing.T, postgres bool)) {
	t.Run("sqlite", func(t *testing.T) { test(t, false) })
	t.Run("postgres", func(t *testing.T) { test(t, true) })
}

// pausedStore stops the request that reads a chosen user, right after the
// read, until the test lets it go: the state the request decides from is
// then out of date by the time it acts, as when an admin acts while a login
// is in flight.
type pausedStore struct {
	gatehouse.Store
	username string
	reached  chan struct{} // closed when the paused request has read the user
	release  chan struct{} // closed by the test to let it go on
	once     sync.Once
}

func newPausedStore(username string) *pausedStore {
	return &pausedStore{username: username, reached: make(chan struct{}), release: make(chan struct{})}
}

func (p *pausedStore) UserByUsername(ctx context.Context, name string) (*gatehouse.User, error) {
	u, err := p.Store.UserByUsername(ctx, name)
	if name == p.username {
		p.once.Do(func() {
			close(p.reached)
			<-p.release
		})
	}
	return u, err
}

const (
	oldPassword = "correct horse battery staple"
	newPassword = "a new password nobody else knows"
)

// adminToken creates an admin and returns an access token asking for the
// admin scope by name.
func adminToken(t *testing.T, s *testserver.Server) string {
	t.Helper()
	s.AddUser("root", oldPassword, gatehouse.AdminScope)
	return s.Login(t, "root", oldPassword, "scope", gatehouse.AdminScope).AccessToken
}

// inFlightLogin starts a login of name that stops right after it has read
// the user, runs act (what an admin does meanwhile), then lets the login
// finish and returns its answer.
func inFlightLogin(t *testing.T, s *testserver.Server, p *pausedStore, name, pw string, act func()) (*testserver.Response, testserver.Tokens) {
	t.Helper()
	type result struct {
		r  *testserver.Response
		tk testserver.Tokens
	}
	done := make(chan result, 1)
	go func() {
		r, tk := s.TryLogin(t, name, pw)
		done <- result{r, tk}
	}()
	select {
	case <-p.reached:
	case <-time.After(10 * time.Second):
		close(p.release)
		t.Fatal("the login never read the user")
	}
	act()
	close(p.release)
	res := <-done
	return res.r, res.tk
}

// mustBeDead asserts that tokens handed out are of no use: the access
// token is refused and the refresh token does not refresh.
func mustBeDead(t *testing.T, s *testserver.Server, r *testserver.Response, tk testserver.Tokens) {
	t.Helper()
	if r.Status != http.StatusOK {
		return // no tokens handed out at all: fine
	}
	if got := s.Bearer(t, "GET", "/userinfo", tk.AccessToken); got.Status != http.StatusUnauthorized {
		t.Errorf("access token of the in-flight login: /userinfo %s, want 401", got)
	}
	if got, _ := s.TryRefresh(t, tk.RefreshToken, nil); got.Status == http.StatusOK {
		t.Errorf("refresh token of the in-flight login still refreshes: %s", got)
	}
}

func userState(t *testing.T, s *testserver.Server, id string) *gatehouse.User {
	t.Helper()
	u, err := s.Store.UserByID(s.Ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Finding 1: a burst of guesses sent at once was checked in full before the
// first failure counted.
func TestParallelGuessesDoNotBypassTheThrottle(t *testing.T) {
	// Hashing costs a few milliseconds, so that the guesses overlap.
	hashing := password.Config{Memory: 4096, Time: 1, AllowWeak: true, MaxWait: time.Minute}
	guess := func(s *testserver.Server, i int) int {
		r, _ := s.TryLogin(t, "alice", fmt.Sprintf("wrong guess %d", i))
		return r.Status
	}
	xff := http.Header{"X-Forwarded-For": {"10.9.9.9"}}
	_ = xff

	// The sequential number: guesses one after the other until refused.
	seq := testserver.New(t, testserver.Options{Hashing: &hashing})
	seq.AddUser("alice", oldPassword)
	sequential := 0
	for i := range 100 {
		if st := guess(seq, i); st == http.StatusTooManyRequests {
			break
		} else if st != http.StatusBadRequest {
			t.Fatalf("guess %d: status %d", i, st)
		}
		sequential++
	}
	if sequential == 0 || sequential >= 100 {
		t.Fatalf("sequential guesses checked: %d", sequential)
	}

	for round := range 3 {
		s := testserver.New(t, testserver.Options{Hashing: &hashing})
		s.AddUser("alice", oldPassword)
		const n = 60
		statuses := make([]int, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				statuses[i] = guess(s, i)
			})
		}
		close(start)
		wg.Wait()
		checked := 0
		for i, st := range statuses {
			switch st {
			case http.StatusBadRequest:
				checked++
			case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			default:
				t.Errorf("round %d guess %d: status %d", round, i, st)
			}
		}
		if checked > sequential {
			t.Errorf("round %d: %d of %d parallel guesses were checked; one at a time, %d are", round, checked, n, sequential)
		}
	}
}

// Finding 1 (sign-up): parallel sign-ups from one address were counted
// after the hash too.
func TestParallelSignupsDoNotBypassTheLimit(t *testing.T) {
	hashing := password.Config{Memory: 4096, Time: 1, AllowWeak: true, MaxWait: time.Minute}
	opts := testserver.Options{Hashing: &hashing, HTTP: func(c *httpapi.Config) { c.Signup = true }}
	signup := func(s *testserver.Server, i int) int {
		return s.PostForm(t, "/signup", testserver.Form("username", fmt.Sprintf("user%d", i), "password", oldPassword), nil).Status
	}
	seq := testserver.New(t, opts)
	sequential := 0
	for i := range 100 {
		if st := signup(seq, i); st == http.StatusTooManyRequests {
			break
		} else if st != http.StatusCreated {
			t.Fatalf("sign-up %d: status %d", i, st)
		}
		sequential++
	}
	if sequential == 0 || sequential >= 100 {
		t.Fatalf("sequential sign-ups admitted: %d", sequential)
	}
	s := testserver.New(t, opts)
	const n = 40
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i] = signup(s, i)
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for _, st := range statuses {
		if st == http.StatusCreated {
			created++
		}
	}
	if created > sequential {
		t.Errorf("%d of %d parallel sign-ups from one address were admitted; one at a time, %d are", created, n, sequential)
	}
}

// Finding 2: the rehash on login wrote back the whole user row it read
// before verifying, undoing an admin's password reset and disable.
func TestLoginDoesNotRevertAnAdminsResetAndDisable(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		for round := range 3 {
			p := newPausedStore("alice")
			s := testserver.New(t, testserver.Options{Postgres: pg, Wrap: func(st gatehouse.Store) gatehouse.Store { p.Store = st; return p }})
			admin := adminToken(t, s)
			// A bcrypt hash, as imported: the login rehashes it.
			h, err := bcrypt.GenerateFromPassword([]byte(oldPassword), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			alice := s.AddUserHash("alice", string(h))
			r, tk := inFlightLogin(t, s, p, "alice", oldPassword, func() {
				got := s.PostJSON(t, "PATCH", "/admin/users/"+alice.ID, admin, map[string]any{"password": newPassword, "disabled": true})
				if got.Status != http.StatusOK {
					t.Fatalf("round %d: admin PATCH: %s", round, got)
				}
			})
			u := userState(t, s, alice.ID)
			if !u.Disabled {
				t.Errorf("round %d: the user is enabled again after the in-flight login", round)
			}
			if ok, _, _ := s.Hasher.Verify(s.Ctx, oldPassword, u.PasswordHash); ok {
				t.Errorf("round %d: the old password is back after the in-flight login", round)
			}
			if ok, _, _ := s.Hasher.Verify(s.Ctx, newPassword, u.PasswordHash); !ok {
				t.Errorf("round %d: the admin's new password is gone", round)
			}
			mustBeDead(t, s, r, tk)
		}
	})
}

// Finding 3: admin routes trusted the token's scope claim, so a demoted
// admin's token still made them admin again.
func TestDemotedAdminIsNoLongerAdmin(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := testserver.New(t, testserver.Options{Postgres: pg})
		root := adminToken(t, s)
		s.AddClient("orders-api", "orders-api-secret-0123456789")
		eve := s.AddUser("eve", oldPassword, gatehouse.AdminScope, "orders:read")
		eveTok := s.Login(t, "eve", oldPassword, "scope", gatehouse.AdminScope+" orders:read").AccessToken

		if got := s.PostJSON(t, "PATCH", "/admin/users/"+eve.ID, root, map[string]any{"scopes": []string{"orders:read"}}); got.Status != http.StatusOK {
			t.Fatalf("demote: %s", got)
		}
		if got := s.PostJSON(t, "PATCH", "/admin/users/"+eve.ID, eveTok, map[string]any{"scopes": []string{gatehouse.AdminScope}}); got.Status/100 != 4 {
			t.Errorf("the demoted admin's token PATCHes themself back: %s", got)
		}
		if got := s.Bearer(t, "GET", "/admin/users", eveTok); got.Status/100 != 4 {
			t.Errorf("the demoted admin's token lists users: %s", got)
		}
		if u := userState(t, s, eve.ID); len(u.Scopes) != 1 || u.Scopes[0] != "orders:read" {
			t.Errorf("eve's scopes = %q, want [orders:read]", u.Scopes)
		}
		in := s.PostForm(t, "/introspect", testserver.Form("token", eveTok), basicAuth("orders-api", "orders-api-secret-0123456789"))
		if in.Status != http.StatusOK {
			t.Fatalf("introspect: %s", in)
		}
		var intro struct {
			Active bool   `json:"active"`
			Scope  string `json:"scope"`
		}
		in.Decode(t, &intro)
		if intro.Active && strings.Contains(intro.Scope, gatehouse.AdminScope) {
			t.Errorf("/introspect still reports the admin scope: %s", in)
		}
	})
}

// Finding 4: sessions created by logins in flight during a password reset,
// a disable or a delete stayed alive.
func TestLoginsInFlightDoNotSurviveAResetDisableOrDelete(t *testing.T) {
	actions := []struct {
		name string
		act  func(t *testing.T, s *testserver.Server, admin, id string)
	}{
		{"password reset", func(t *testing.T, s *testserver.Server, admin, id string) {
			if got := s.PostJSON(t, "PATCH", "/admin/users/"+id, admin, map[string]any{"password": newPassword}); got.Status != http.StatusOK {
				t.Fatalf("reset: %s", got)
			}
		}},
		{"disable", func(t *testing.T, s *testserver.Server, admin, id string) {
			if got := s.PostJSON(t, "PATCH", "/admin/users/"+id, admin, map[string]any{"disabled": true}); got.Status != http.StatusOK {
				t.Fatalf("disable: %s", got)
			}
		}},
		{"delete", func(t *testing.T, s *testserver.Server, admin, id string) {
			if got := s.Bearer(t, "DELETE", "/admin/users/"+id, admin); got.Status != http.StatusNoContent {
				t.Fatalf("delete: %s", got)
			}
		}},
	}
	stores(t, func(t *testing.T, pg bool) {
		for _, a := range actions {
			t.Run(a.name, func(t *testing.T) {
				p := newPausedStore("alice")
				s := testserver.New(t, testserver.Options{Postgres: pg, Wrap: func(st gatehouse.Store) gatehouse.Store { p.Store = st; return p }})
				admin := adminToken(t, s)
				alice := s.AddUser("alice", oldPassword, "orders:read")
				r, tk := inFlightLogin(t, s, p, "alice", oldPassword, func() { a.act(t, s, admin, alice.ID) })
				mustBeDead(t, s, r, tk)
				if ss, err := s.Store.ListSessions(s.Ctx, alice.ID, s.Clock.Now()); err != nil || len(ss) != 0 {
					t.Errorf("active sessions after the %s: %d (%v)", a.name, len(ss), err)
				}
			})
		}
	})
}

// Finding 7: each sign-up counted as a failure of one pseudo-account, so
// eleven sign-ups from eleven addresses closed sign-up for everybody.
func TestSignupsFromManyAddressesDoNotCloseSignup(t *testing.T) {
	s := testserver.New(t, testserver.Options{HTTP: func(c *httpapi.Config) { c.Signup = true }})
	s.AddUser("alice", oldPassword)
	for i := range 12 {
		r := s.PostForm(t, "/signup", testserver.Form("username", fmt.Sprintf("user%d", i), "password", oldPassword),
			http.Header{"X-Forwarded-For": {fmt.Sprintf("10.1.0.%d", i+1)}})
		if r.Status != http.StatusCreated {
			t.Fatalf("sign-up %d from its own address: %s", i, r)
		}
	}
	// Logins are not touched by sign-ups either.
	s.Login(t, "alice", oldPassword)
}

// Finding 8: a retry within the grace window handed out the successor to
// whoever presented the old token, and nothing was recorded.
func TestGraceRetryIsRecordedWithBothAddresses(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	alice := s.AddUser("alice", oldPassword)
	tk := s.Login(t, "alice", oldPassword)
	first := http.Header{"X-Forwarded-For": {"10.2.0.1"}, "User-Agent": {"first-client/1.0"}}
	second := http.Header{"X-Forwarded-For": {"10.2.0.2"}, "User-Agent": {"second-client/2.0"}}
	if r, _ := s.TryRefresh(t, tk.RefreshToken, first); r.Status != http.StatusOK {
		t.Fatalf("refresh: %s", r)
	}
	if r, _ := s.TryRefresh(t, tk.RefreshToken, second); r.Status != http.StatusOK {
		t.Fatalf("retry: %s", r)
	}
	evs, err := s.Store.Events(s.Ctx, alice.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind != "refresh.retry" {
			continue
		}
		for _, want := range []string{"10.2.0.1", "10.2.0.2", "first-client/1.0", "second-client/2.0"} {
			if !strings.Contains(e.Detail+" "+e.IP, want) {
				t.Errorf("refresh.retry event %+v does not mention %s", e, want)
			}
		}
		return
	}
	t.Errorf("no refresh.retry event among %d events", len(evs))
}

// Finding 9: the server's own bearer routes took ?access_token=, the admin
// API included.
func TestQueryStringTokensAreRefusedOnEveryBearerRoute(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	admin := adminToken(t, s)
	for _, rt := range []struct{ method, path string }{
		{"GET", "/userinfo"}, {"GET", "/sessions"}, {"POST", "/logout"}, {"DELETE", "/sessions/x"},
		{"GET", "/admin/users"}, {"GET", "/admin/events"},
		{"POST", "/session/logout"}, {"POST", "/session/password"},
	} {
		r := s.Do(t, rt.method, rt.path+"?access_token="+admin, "", nil, nil)
		if r.Status != http.StatusBadRequest || r.OAuthError() != "invalid_request" {
			t.Errorf("%s %s?access_token=…: %s, want 400 invalid_request", rt.method, rt.path, r)
		}
	}
	// The query logout did nothing.
	if got := s.Bearer(t, "GET", "/userinfo", admin); got.Status != http.StatusOK {
		t.Errorf("the admin's token after a refused query-string logout: %s", got)
	}
}

// Finding 10: an empty or omitted scope granted every scope of the user,
// gatehouse:admin included.
func TestAdminScopeIsGrantedOnlyWhenAskedForByName(t *testing.T) {
	s := testserver.New(t, testserver.Options{})
	s.AddUser("root", oldPassword, gatehouse.AdminScope, "orders:read")
	for _, c := range []struct {
		name  string
		extra []string
		admin bool
	}{
		{"scope omitted", nil, false},
		{"scope empty", []string{"scope", ""}, false},
		{"another scope", []string{"scope", "orders:read"}, false},
		{"admin asked for by name", []string{"scope", gatehouse.AdminScope}, true},
	} {
		tk := s.Login(t, "root", oldPassword, c.extra...)
		has := strings.Contains(" "+tk.Scope+" ", " "+gatehouse.AdminScope+" ")
		if has != c.admin {
			t.Errorf("%s: scope %q, admin granted %v, want %v", c.name, tk.Scope, has, c.admin)
		}
		r := s.Bearer(t, "GET", "/admin/users", tk.AccessToken)
		if (r.Status == http.StatusOK) != c.admin {
			t.Errorf("%s: GET /admin/users %s", c.name, r)
		}
	}
}

// Finding 12: look-alike usernames (a Cyrillic а in "аlice") were accepted
// beside the real one.
func TestLookAlikeUsernamesAreRefused(t *testing.T) {
	s := testserver.New(t, testserver.Options{HTTP: func(c *httpapi.Config) { c.Signup = true }})
	admin := adminToken(t, s)
	s.AddUser("alice", oldPassword)
	before := len(mustUsers(t, s))
	for _, name := range []string{"\u0430lice", "p\u0430ypal", "\u03b1lice"} {
		if r := s.PostJSON(t, "POST", "/admin/users", admin, map[string]any{"username": name, "password": oldPassword}); r.Status != http.StatusBadRequest {
			t.Errorf("admin create %q: %s, want 400", name, r)
		}
		if r := s.PostForm(t, "/signup", testserver.Form("username", name, "password", oldPassword), nil); r.Status != http.StatusBadRequest {
			t.Errorf("sign-up %q: %s, want 400", name, r)
		}
	}
	if after := len(mustUsers(t, s)); after != before {
		t.Errorf("users: %d before, %d after", before, after)
	}
}

func mustUsers(t *testing.T, s *testserver.Server) []*gatehouse.User {
	t.Helper()
	us, err := s.Store.ListUsers(s.Ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return us
}
