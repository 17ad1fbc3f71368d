package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testserver"
)

func TestBearerAnswers(t *testing.T) {
	f, _, tk := tokenFixture(t)
	const bare = `Bearer realm="gatehouse"`
	const invalid = `Bearer realm="gatehouse", error="invalid_token", error_description="the access token is invalid"`
	const query = `Bearer realm="gatehouse", error="invalid_request", error_description="access tokens in the query string are not accepted"`
	parts := strings.Split(tk.AccessToken, ".")
	cases := []struct {
		name      string
		target    string
		auth      []string
		status    int
		challenge string
	}{
		{"no token", "/userinfo", nil, 401, bare},
		{"another scheme", "/userinfo", []string{"Basic YWxpY2U6eA=="}, 401, bare},
		{"Bearer without a token", "/userinfo", []string{"Bearer"}, 401, invalid},
		{"Bearer with an empty token", "/userinfo", []string{"Bearer "}, 401, invalid},
		{"garbage token", "/userinfo", []string{"Bearer not.a.jwt"}, 401, invalid},
		{"alg none", "/userinfo", []string{"Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0." + parts[1] + "."}, 401, invalid},
		{"signature stripped", "/userinfo", []string{"Bearer " + parts[0] + "." + parts[1] + "."}, 401, invalid},
		{"token over 8 KiB", "/userinfo", []string{"Bearer " + strings.Repeat("a", 8<<10+1)}, 401, invalid},
		{"a megabyte of dots", "/userinfo", []string{"Bearer " + strings.Repeat(".", 1<<20)}, 401, invalid},
		{"refresh token as access token", "/userinfo", []string{"Bearer " + tk.RefreshToken}, 401, invalid},
		{"token in the query", "/userinfo?access_token=" + tk.AccessToken, nil, 400, query},
		{"token in header and query", "/userinfo?access_token=" + tk.AccessToken, []string{"Bearer " + tk.AccessToken}, 400, query},
		{"token twice in the query", "/userinfo?access_token=" + tk.AccessToken + "&access_token=" + tk.AccessToken, nil, 400, query},
		{"token in the query of the admin API", "/admin/users?access_token=" + tk.AccessToken, nil, 400, query},
		{"two Authorization headers", "/userinfo", []string{"Bearer " + tk.AccessToken, "Bearer " + tk.AccessToken}, 400, `Bearer realm="gatehouse", error="invalid_request", error_description="more than one Authorization header"`},
		{"user token on the admin API", "/admin/users", []string{"Bearer " + tk.AccessToken}, 403, `Bearer realm="gatehouse", error="insufficient_scope", error_description="the access token lacks a required scope", scope="gatehouse:admin"`},
		{"no token on the admin API", "/admin/users", nil, 401, bare},
		{"no token on /sessions", "/sessions", nil, 401, bare},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do(req{method: "GET", target: tc.target, header: http.Header{"Authorization": tc.auth}})
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate\n got %s\nwant %s", got, tc.challenge)
			}
			checkNoStore(t, w)
		})
	}
	for _, ok := range []req{
		{method: "GET", target: "/userinfo", header: http.Header{"Authorization": {"Bearer " + tk.AccessToken}}},
		{method: "GET", target: "/userinfo", header: http.Header{"Authorization": {"bEARER " + tk.AccessToken}}},
	} {
		if w := f.do(ok); w.Code != 200 {
			t.Errorf("%s %v: %d %s", ok.target, ok.header, w.Code, w.Body)
		}
	}
}

func TestUserinfo(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	w := f.bearer("GET", "/userinfo", tk.AccessToken)
	var got map[string]string
	decode(t, w, &got)
	if w.Code != 200 || got["sub"] != alice.ID || got["preferred_username"] != "alice" || got["scope"] != "orders:read orders:write" || len(got) != 3 {
		t.Fatalf("%d %v", w.Code, got)
	}
	checkNoStore(t, w)
}

func TestLogoutEndsTheSessionAndItsAccessTokenAtOnce(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	other := f.login("alice", alicePW)
	w := f.bearer("POST", "/logout", tk.AccessToken)
	if w.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("access token after logout: %d", w.Code)
	}
	if w := f.refresh(tk.RefreshToken); w.Code != 400 {
		t.Errorf("refresh token after logout: %d", w.Code)
	}
	if w := f.bearer("GET", "/userinfo", other.AccessToken); w.Code != 200 {
		t.Errorf("the other session ended too: %d", w.Code)
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Errorf("%d sessions left, want 1", n)
	}
}

func TestLogoutAllEndsEverySession(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    func(tok string) req
	}{
		{"all=true in the form", func(tok string) req {
			return req{method: "POST", target: "/logout", body: "all=true", header: http.Header{"Authorization": {"Bearer " + tok}}}
		}},
		{"all=true in the query", func(tok string) req {
			return req{method: "POST", target: "/logout?all=true", header: http.Header{"Authorization": {"Bearer " + tok}}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, alice, tk := tokenFixture(t)
			other := f.login("alice", alicePW)
			if w := f.do(tc.r(tk.AccessToken)); w.Code != http.StatusNoContent {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if w := f.bearer("GET", "/userinfo", other.AccessToken); w.Code != 401 {
				t.Errorf("other session's access token: %d", w.Code)
			}
			if n := f.sessionCount(alice.ID); n != 0 {
				t.Errorf("%d sessions left", n)
			}
		})
	}
}

func TestLogoutBadInputChangesNothing(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	auth := http.Header{"Authorization": {"Bearer " + tk.AccessToken}}
	for _, r := range []req{
		{method: "POST", target: "/logout?all=yes", header: auth},
		{method: "POST", target: "/logout?all=true&all=true", header: auth},
		{method: "POST", target: "/logout?all=false", body: "all=true", header: auth},
		{method: "POST", target: "/logout", body: "all=true&all=false", header: auth},
		{method: "POST", target: "/logout", body: "all=true", contentType: "text/plain", header: auth},
	} {
		w := f.do(r)
		if w.Code != 400 || oauthErr(t, w) != "invalid_request" {
			t.Errorf("%s %q: %d %s", r.target, r.body, w.Code, w.Body)
		}
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
	if w := f.do(req{method: "GET", target: "/logout", header: auth}); w.Code != 405 || w.Header().Get("Allow") == "" {
		t.Errorf("GET /logout: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestSessionsListsAndEndsTheCallersSessions(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	f.addUser("bob", "bob's password 1")
	bob := f.login("bob", "bob's password 1")
	other := f.login("alice", alicePW)

	w := f.bearer("GET", "/sessions", tk.AccessToken)
	var got struct {
		Sessions []struct {
			ID        string `json:"id"`
			UserAgent string `json:"user_agent"`
			IP        string `json:"ip"`
			Current   bool   `json:"current"`
			CreatedAt string `json:"created_at"`
			LastUsed  string `json:"last_used_at"`
		} `json:"sessions"`
	}
	decode(t, w, &got)
	if w.Code != 200 || len(got.Sessions) != 2 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	current, otherID := "", ""
	for _, s := range got.Sessions {
		if s.Current {
			current = s.ID
		} else {
			otherID = s.ID
		}
		if s.IP != "192.0.2.1" || s.CreatedAt == "" || s.LastUsed == "" {
			t.Errorf("session %+v", s)
		}
	}
	if current == "" || otherID == "" {
		t.Fatalf("current not marked: %+v", got)
	}
	// Bob cannot end Alice's session: 404, nothing changes.
	if w := f.bearer("DELETE", "/sessions/"+otherID, bob.AccessToken); w.Code != 404 {
		t.Errorf("stranger's DELETE: %d", w.Code)
	}
	if w := f.bearer("DELETE", "/sessions/no-such-session", tk.AccessToken); w.Code != 404 {
		t.Errorf("unknown id: %d", w.Code)
	}
	if n := f.sessionCount(alice.ID); n != 2 {
		t.Fatalf("%d sessions after refused deletes", n)
	}
	if w := f.bearer("DELETE", "/sessions/"+otherID, tk.AccessToken); w.Code != 204 {
		t.Fatalf("DELETE: %d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", other.AccessToken); w.Code != 401 {
		t.Errorf("ended session's access token: %d", w.Code)
	}
}

// failingTokenState is a store whose TokenState fails, as a database that
// went away would.
type failingTokenState struct{ gatehouse.Store }

func (failingTokenState) TokenState(context.Context, string, string, string) (*gatehouse.TokenState, error) {
	return nil, errors.New("database unreachable")
}

func TestABearerTokenThatCannotBeCheckedIs503NotInvalid(t *testing.T) {
	healthy := testserver.New(t, testserver.Options{})
	healthy.AddUser("alice", alicePW)
	tk := healthy.Login(t, "alice", alicePW)
	// A second server on the same database whose TokenState fails.
	down := testserver.New(t, testserver.Options{Store: healthy.Store, Clock: healthy.Clock, KEK: healthy.KEK,
		Wrap: func(st gatehouse.Store) gatehouse.Store { return failingTokenState{st} }})
	r := down.Bearer(t, "GET", "/userinfo", tk.AccessToken)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || r.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("/userinfo while the store fails: %s, Retry-After %q, WWW-Authenticate %q; want 503 with Retry-After and no challenge",
			r, r.Header.Get("Retry-After"), r.Header.Get("WWW-Authenticate"))
	}
	if r := healthy.Bearer(t, "GET", "/userinfo", tk.AccessToken); r.Status != http.StatusOK {
		t.Errorf("the token on a healthy server: %s", r)
	}
}
