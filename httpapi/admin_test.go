package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// adminFixture adds an admin and returns its access token.
func adminFixture(t *testing.T) (*fixture, *gatehouse.User, tokens, string) {
	f, alice, tk := tokenFixture(t)
	f.addUser("root", "root password 1", gatehouse.AdminScope)
	// The admin scope is granted only when asked for by name.
	return f, alice, tk, f.login("root", "root password 1", "scope", gatehouse.AdminScope).AccessToken
}

func (f *fixture) admin(tok, method, target, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	r := req{method: method, target: target, header: http.Header{"Authorization": {"Bearer " + tok}}}
	if body != "" {
		r.body, r.contentType = body, "application/json"
	}
	return f.do(r)
}

func TestAdminCreatesUsersInCanonicalForm(t *testing.T) {
	f, _, _, root := adminFixture(t)
	w := f.admin(root, "POST", "/admin/users", `{"username":"Ｂｏｂ","password":"bob password 1","scopes":["orders:read"]}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var u map[string]any
	decode(t, w, &u)
	if u["username"] != "bob" || u["password_hash"] != nil {
		t.Errorf("created %v", u)
	}
	if tk := f.login("BOB", "bob password 1"); tk.Scope != "orders:read" {
		t.Errorf("scope %q", tk.Scope)
	}
	users := f.userCount()
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"taken name in another case", `{"username":"BOB","password":"another password","scopes":[]}`, 409},
		{"invisible character", `{"username":"b\u200bob","password":"another password"}`, 400},
		{"short password", `{"username":"carol","password":"short"}`, 400},
		{"bad scope token", `{"username":"carol","password":"carol password","scopes":["a b"]}`, 400},
		{"scopes as a string", `{"username":"carol","password":"carol password","scopes":"a b"}`, 400},
		{"unknown member", `{"username":"carol","password":"carol password","admin":true}`, 400},
		{"trailing data", `{"username":"carol","password":"carol password"}x`, 400},
		{"not JSON", `username=carol`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w := f.admin(root, "POST", "/admin/users", tc.body); w.Code != tc.status {
				t.Errorf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
		})
	}
	if n := f.userCount(); n != users {
		t.Errorf("user count %d → %d", users, n)
	}
}

func TestAdminDisablingAUserEndsTheirSessions(t *testing.T) {
	f, alice, tk, root := adminFixture(t)
	w := f.admin(root, "PATCH", "/admin/users/"+alice.ID, `{"disabled":true}`)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("disabled user's access token: %d", w.Code)
	}
	if w := f.postForm("/token", form("grant_type", "password", "username", "alice", "password", alicePW)); w.Code != 400 {
		t.Errorf("disabled user's login: %d", w.Code)
	}
	f.admin(root, "PATCH", "/admin/users/"+alice.ID, `{"disabled":false}`)
	f.login("alice", alicePW)
}

func TestAdminPasswordChangeEndsSessions(t *testing.T) {
	f, alice, tk, root := adminFixture(t)
	if w := f.admin(root, "PATCH", "/admin/users/"+alice.ID, `{"password":"a brand new password"}`); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("old session's access token: %d", w.Code)
	}
	f.login("alice", "a brand new password")
	evs, _ := f.store.Events(f.ctx, alice.ID, 0, 100)
	found := false
	for _, e := range evs {
		found = found || e.Kind == gatehouse.EventPasswordChanged
	}
	if !found {
		t.Error("no password.changed event")
	}
}

func TestAdminScopesRevokeSessionsEventsAndKeys(t *testing.T) {
	f, alice, tk, root := adminFixture(t)
	if w := f.admin(root, "PATCH", "/admin/users/"+alice.ID, `{"scopes":["orders:read"]}`); w.Code != 200 {
		t.Fatalf("scopes: %d %s", w.Code, w.Body)
	}
	// Taking a scope away ended the session that had it.
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("access token after a scope was taken away: %d", w.Code)
	}
	if w := f.admin(root, "PATCH", "/admin/users/nobody", `{"disabled":true}`); w.Code != 404 {
		t.Errorf("unknown user: %d", w.Code)
	}
	again := f.login("alice", alicePW)
	w := f.admin(root, "POST", "/admin/users/"+alice.ID+"/revoke-sessions", "")
	if w.Code != 200 || w.Body.String() != "{\"revoked\":1}\n" {
		t.Fatalf("revoke-sessions: %d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", again.AccessToken); w.Code != 401 {
		t.Errorf("access token after revoke-sessions: %d", w.Code)
	}
	w = f.admin(root, "GET", "/admin/users", "")
	var list struct {
		Users []map[string]any `json:"users"`
	}
	decode(t, w, &list)
	if w.Code != 200 || len(list.Users) != 2 {
		t.Errorf("users: %d %s", w.Code, w.Body)
	}
	w = f.admin(root, "GET", "/admin/events?limit=2", "")
	var evs struct {
		Events []map[string]any `json:"events"`
		Next   int64            `json:"next"`
	}
	decode(t, w, &evs)
	if w.Code != 200 || len(evs.Events) != 2 || evs.Next == 0 {
		t.Errorf("events: %d %s", w.Code, w.Body)
	}
	if w := f.admin(root, "GET", "/admin/events?limit=0", ""); w.Code != 400 {
		t.Errorf("limit=0: %d", w.Code)
	}
	old := f.keys.ActiveKey().ID()
	// The next key was published a moment ago: it may not sign before
	// verifiers' cached key sets (five minutes) hold it.
	w = f.admin(root, "POST", "/admin/keys/rotate", "")
	if w.Code != 409 || w.Header().Get("Retry-After") != "302" || f.keys.ActiveKey().ID() != old {
		t.Errorf("rotate with a next key published just now: %d, Retry-After %q, %s; want 409, 302 and no rotation",
			w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	f.clock.Advance(5*time.Minute + gatehouse.KeyPublishMargin)
	w = f.admin(root, "POST", "/admin/keys/rotate", "")
	if w.Code != 200 || f.keys.ActiveKey().ID() == old || !strings.Contains(w.Body.String(), f.keys.ActiveKey().ID()) {
		t.Errorf("rotate: %d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/admin/users", root); w.Code != 200 {
		t.Errorf("a token of the retired key: %d", w.Code)
	}
}
