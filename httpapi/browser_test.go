package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testserver"
)

const (
	accessCookie  = guard.AccessCookie
	refreshCookie = "__Secure-gatehouse-refresh"
)

// browser is a cookie jar in front of the fixture's handler that sends
// what a same-origin fetch sends: Sec-Fetch-Site: same-origin and the CSRF
// header, JSON bodies. It keeps the cookies the server sets, by name and
// path, as a browser does.
type browser struct {
	f       *fixture
	cookies map[string]*http.Cookie // name → cookie
	ip      string
}

func newBrowser(f *fixture) *browser {
	return &browser{f: f, cookies: map[string]*http.Cookie{}, ip: "192.0.2.10:4444"}
}

// send makes a request with the jar's cookies that match target's path,
// and the given headers instead of the same-origin ones when any is given.
func (b *browser) send(method, target, body string, headers ...string) *httptest.ResponseRecorder {
	b.f.t.Helper()
	h := http.Header{}
	if len(headers) == 0 {
		headers = []string{"Sec-Fetch-Site: same-origin", "X-Requested-With: fetch"}
	}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		h.Add(k, v)
	}
	ct := ""
	if body != "" {
		ct = "application/json"
		if v := h.Get("Content-Type"); v != "" {
			ct = v
			h.Del("Content-Type")
		}
	}
	path, _, _ := strings.Cut(target, "?")
	var pairs []string
	for _, c := range b.cookies {
		if strings.HasPrefix(path, c.Path) {
			pairs = append(pairs, c.Name+"="+c.Value)
		}
	}
	if len(pairs) > 0 {
		h.Set("Cookie", strings.Join(pairs, "; "))
	}
	w := b.f.do(req{method: method, target: target, body: body, contentType: ct, header: h, remote: b.ip})
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return w
}

func (b *browser) login(user, pw string) *httptest.ResponseRecorder {
	b.f.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return b.send("POST", "/session/login", string(body))
}

func (b *browser) mustLogin(user, pw string) {
	b.f.t.Helper()
	if w := b.login(user, pw); w.Code != http.StatusOK {
		b.f.t.Fatalf("POST /session/login: %d %s", w.Code, w.Body)
	}
}

func (b *browser) value(name string) string {
	if c := b.cookies[name]; c != nil {
		return c.Value
	}
	return ""
}

func browserFixture(t *testing.T, opts ...fixtureOpt) (*fixture, *gatehouse.User) {
	f := newFixture(t, opts...)
	return f, f.addUser("alice", alicePW, "orders:read", "orders:write")
}

func TestSessionLoginSetsHttpOnlyCookiesAndNoTokenInTheBody(t *testing.T) {
	f, alice := browserFixture(t)
	b := newBrowser(f)
	w := b.login("alice", alicePW)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	checkNoStore(t, w)
	var body map[string]any
	decode(t, w, &body)
	if len(body) != 2 || body["expires_in"] != float64(900) || body["scope"] != "orders:read orders:write" {
		t.Errorf("body %v, want exactly expires_in 900 and the scope", body)
	}
	set := map[string]*http.Cookie{}
	for _, c := range w.Result().Cookies() {
		set[c.Name] = c
	}
	for _, tc := range []struct {
		name, path string
		maxAge     int
	}{
		{accessCookie, "/", 900},                  // the access token's lifetime
		{refreshCookie, "/session/refresh", 3600}, // the session's idle hour
	} {
		c := set[tc.name]
		if c == nil {
			t.Fatalf("no %s cookie in %v", tc.name, w.Header().Values("Set-Cookie"))
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != tc.path || c.Domain != "" || c.MaxAge != tc.maxAge {
			t.Errorf("%s: HttpOnly %v Secure %v SameSite %v Path %q Domain %q MaxAge %d; want HttpOnly, Secure, Strict, %s, no domain, %d",
				tc.name, c.HttpOnly, c.Secure, c.SameSite, c.Path, c.Domain, c.MaxAge, tc.path, tc.maxAge)
		}
		if strings.Contains(w.Body.String(), c.Value) {
			t.Errorf("the body carries the %s token", tc.name)
		}
	}
	if !strings.HasPrefix(b.value(refreshCookie), "ghr_") {
		t.Errorf("refresh cookie %q is not a refresh token", b.value(refreshCookie))
	}
	c, err := f.sessions.Authenticate(f.ctx, b.value(accessCookie))
	if err != nil || c.Subject != alice.ID || c.ClientID != gatehouse.FirstPartyClientID {
		t.Fatalf("access cookie: %v, %v; want alice's token of the first-party client", c, err)
	}
	// The cookie alone authenticates the caller's own routes.
	w = b.send("GET", "/userinfo", "")
	var info map[string]string
	decode(t, w, &info)
	if w.Code != http.StatusOK || info["sub"] != alice.ID {
		t.Errorf("GET /userinfo with the cookie: %d %s", w.Code, w.Body)
	}
	w = b.send("GET", "/sessions", "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"current":true`) {
		t.Errorf("GET /sessions with the cookie: %d %s", w.Code, w.Body)
	}
}

func TestSessionLoginRefusesBadInputWithoutASession(t *testing.T) {
	f, alice := browserFixture(t)
	for _, tc := range []struct {
		name, body, code string
		status           int
	}{
		{"wrong password", `{"username":"alice","password":"nope nope nope"}`, "invalid_grant", 400},
		{"unknown user", `{"username":"mallory","password":"nope nope nope"}`, "invalid_grant", 400},
		{"no password", `{"username":"alice"}`, "invalid_request", 400},
		{"a number for the password", `{"username":"alice","password":1}`, "invalid_request", 400},
		{"a password over 1024 bytes", `{"username":"alice","password":"` + strings.Repeat("p", 1025) + `"}`, "invalid_request", 400},
		{"a scope alice lacks", `{"username":"alice","password":"` + alicePW + `","scope":"admin"}`, "invalid_scope", 400},
		{"not JSON", `username=alice`, "invalid_request", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(f)
			w := b.send("POST", "/session/login", tc.body)
			if w.Code != tc.status || oauthErr(t, w) != tc.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Errorf("cookies set: %v", w.Header().Values("Set-Cookie"))
			}
		})
	}
	t.Run("a token in the query string", func(t *testing.T) {
		w := newBrowser(f).send("POST", "/session/login?password=x", `{"username":"alice","password":"`+alicePW+`"}`)
		if w.Code != 400 || oauthErr(t, w) != "invalid_request" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	if n := f.sessionCount(alice.ID); n != 0 {
		t.Errorf("%d sessions after refused logins", n)
	}
}

func TestSessionRefreshHasTheGraceAndReuseDetectionOfTheTokenEndpoint(t *testing.T) {
	f, alice := browserFixture(t)
	b := newBrowser(f)
	b.mustLogin("alice", alicePW)
	first, firstAccess := b.value(refreshCookie), b.value(accessCookie)

	f.clock.Advance(time.Minute)
	w := b.send("POST", "/session/refresh", "")
	if w.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", w.Code, w.Body)
	}
	second := b.value(refreshCookie)
	if second == first || b.value(accessCookie) == firstAccess {
		t.Fatal("the refresh did not rotate the cookies")
	}
	if strings.Contains(w.Body.String(), second) {
		t.Error("the body carries the refresh token")
	}

	// A second tab that sent the old cookie at the same moment: a retry
	// within the grace window gets the same successor.
	other := newBrowser(f)
	other.cookies[refreshCookie] = &http.Cookie{Name: refreshCookie, Value: first, Path: "/session/refresh"}
	f.clock.Advance(2 * time.Second)
	if w := other.send("POST", "/session/refresh", ""); w.Code != http.StatusOK || other.value(refreshCookie) != second {
		t.Fatalf("retry within the grace window: %d %s; same successor %v", w.Code, w.Body, other.value(refreshCookie) == second)
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Fatalf("%d sessions after two tabs refreshed at once, want 1", n)
	}

	// Outside the grace window the old cookie is reuse: the session ends.
	f.clock.Advance(time.Minute)
	thief := newBrowser(f)
	thief.cookies[refreshCookie] = &http.Cookie{Name: refreshCookie, Value: first, Path: "/session/refresh"}
	if w := thief.send("POST", "/session/refresh", ""); w.Code != http.StatusBadRequest || oauthErr(t, w) != "invalid_grant" {
		t.Fatalf("reuse: %d %s, want 400 invalid_grant", w.Code, w.Body)
	}
	if len(thief.cookies) != 1 {
		t.Error("a failed refresh set or cleared cookies")
	}
	if w := b.send("POST", "/session/refresh", ""); w.Code != http.StatusBadRequest {
		t.Errorf("the live cookie still refreshes after reuse: %d", w.Code)
	}
	if w := b.send("GET", "/userinfo", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("the access cookie is still honoured after reuse: %d", w.Code)
	}
	events, _ := f.store.Events(f.ctx, alice.ID, 0, 50)
	if !slices.ContainsFunc(events, func(e *gatehouse.Event) bool { return e.Kind == gatehouse.EventRefreshReuse }) {
		t.Error("no refresh.reuse event")
	}
}

func TestSessionRefreshRefusesBadInput(t *testing.T) {
	f, _ := browserFixture(t)
	b := newBrowser(f)
	b.mustLogin("alice", alicePW)
	for _, tc := range []struct {
		name, body, code string
		cookie           string
	}{
		{"no refresh cookie", "", "invalid_grant", "-"},
		{"a cookie that is no token", "", "invalid_grant", "garbage"},
		{"a refresh token in the body", `{"refresh_token":"ghr_x"}`, "invalid_request", ""},
		{"a wider scope", `{"scope":"orders:read admin"}`, "invalid_scope", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newBrowser(f)
			switch tc.cookie {
			case "":
				c.cookies[refreshCookie] = b.cookies[refreshCookie]
			case "-":
			default:
				c.cookies[refreshCookie] = &http.Cookie{Name: refreshCookie, Value: tc.cookie, Path: "/session/refresh"}
			}
			w := c.send("POST", "/session/refresh", tc.body)
			if w.Code != http.StatusBadRequest || oauthErr(t, w) != tc.code {
				t.Fatalf("%d %s, want 400 %s", w.Code, w.Body, tc.code)
			}
		})
	}
	if w := b.send("POST", "/session/refresh", `{"scope":"orders:read"}`); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"scope":"orders:read"`) {
		t.Errorf("the session does not refresh (narrowed) after the refused requests: %d %s", w.Code, w.Body)
	}
}

func TestSessionLoginIsThrottledWithTheTokenEndpoint(t *testing.T) {
	f := newFixture(t) // the default throttle: 5 free failures per account and address
	f.addUser("alice", alicePW)
	b := newBrowser(f)
	for i := range 3 {
		if w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "password", "username", "alice", "password", "wrong"), remote: b.ip}); w.Code != 400 {
			t.Fatalf("/token guess %d: %d", i, w.Code)
		}
		if w := b.login("alice", "wrong"); w.Code != 400 {
			t.Fatalf("/session/login guess %d: %d", i, w.Code)
		}
	}
	w := b.login("alice", alicePW)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after six failures on both endpoints: %d %s, want 429 with Retry-After", w.Code, w.Body)
	}
	if len(w.Result().Cookies()) != 0 {
		t.Error("a throttled login set cookies")
	}
}

func TestSessionLogoutEndsTheSessionAndDropsTheCookies(t *testing.T) {
	f, alice := browserFixture(t)
	b := newBrowser(f)
	b.mustLogin("alice", alicePW)
	access := b.value(accessCookie)
	other := f.login("alice", alicePW)
	w := b.send("POST", "/session/logout", "")
	if w.Code != http.StatusNoContent {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	cleared := map[string]bool{}
	for _, c := range w.Result().Cookies() {
		cleared[c.Name] = c.MaxAge < 0 && c.Value == ""
	}
	if !cleared[accessCookie] || !cleared[refreshCookie] {
		t.Errorf("Set-Cookie %v, want both cookies deleted", w.Header().Values("Set-Cookie"))
	}
	if _, err := f.sessions.Authenticate(f.ctx, access); err == nil {
		t.Error("the access token is still honoured")
	}
	if _, err := f.sessions.Authenticate(f.ctx, other.AccessToken); err != nil {
		t.Errorf("another session ended: %v", err)
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Errorf("%d sessions, want the other one", n)
	}
	t.Run("others ends the others and keeps this browser's cookies", func(t *testing.T) {
		b := newBrowser(f)
		b.mustLogin("alice", alicePW)
		other := f.login("alice", alicePW)
		w := b.send("POST", "/session/logout", `{"others":"true"}`)
		if w.Code != http.StatusNoContent || len(w.Result().Cookies()) != 0 {
			t.Fatalf("%d, Set-Cookie %v; want 204 without touching the cookies", w.Code, w.Header().Values("Set-Cookie"))
		}
		if w := b.send("GET", "/userinfo", ""); w.Code != http.StatusOK {
			t.Errorf("this browser was logged out: %d", w.Code)
		}
		if w := f.bearer("GET", "/userinfo", other.AccessToken); w.Code != http.StatusUnauthorized {
			t.Errorf("the other session survived: %d", w.Code)
		}
	})
	t.Run("all ends every session", func(t *testing.T) {
		b := newBrowser(f)
		b.mustLogin("alice", alicePW)
		if w := b.send("POST", "/session/logout", `{"all":"true"}`); w.Code != http.StatusNoContent {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		if n := f.sessionCount(alice.ID); n != 0 {
			t.Errorf("%d sessions after logout all", n)
		}
	})
}

func TestLogoutOthersKeepsOnlyTheCaller(t *testing.T) {
	f, alice := browserFixture(t)
	b := newBrowser(f)
	b.mustLogin("alice", alicePW)
	others := []tokens{f.login("alice", alicePW), f.login("alice", alicePW)}
	if w := b.send("POST", "/logout", `{"others":"true","all":"true"}`); w.Code != 400 || oauthErr(t, w) != "invalid_request" {
		t.Fatalf("others and all: %d %s, want 400 invalid_request", w.Code, w.Body)
	}
	if n := f.sessionCount(alice.ID); n != 3 {
		t.Fatalf("a refused logout ended sessions: %d left", n)
	}
	if w := b.send("POST", "/logout", `{"others":"true"}`); w.Code != http.StatusNoContent {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := b.send("GET", "/userinfo", ""); w.Code != http.StatusOK {
		t.Errorf("the caller's session ended: %d", w.Code)
	}
	for i, o := range others {
		if w := f.bearer("GET", "/userinfo", o.AccessToken); w.Code != http.StatusUnauthorized {
			t.Errorf("other session %d: %d, want 401", i, w.Code)
		}
	}
	// With a bearer token, as from any client.
	tk := f.login("alice", alicePW)
	if w := f.bearer("POST", "/logout?others=true", tk.AccessToken); w.Code != http.StatusNoContent {
		t.Fatalf("bearer logout others: %d %s", w.Code, w.Body)
	}
	if w := b.send("GET", "/userinfo", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("the cookie session survived another's logout of others: %d", w.Code)
	}
}

func TestSessionPasswordChangeKeepsOnlyThisBrowser(t *testing.T) {
	f, alice := browserFixture(t)
	b := newBrowser(f)
	b.mustLogin("alice", alicePW)
	before := b.value(accessCookie)
	other := f.login("alice", alicePW)
	const next = "an entirely new passphrase"

	for _, tc := range []struct {
		name, body, code string
		status           int
	}{
		{"a wrong current password", `{"current_password":"not it at all","new_password":"` + next + `"}`, "invalid_grant", 400},
		{"no new password", `{"current_password":"` + alicePW + `"}`, "invalid_request", 400},
		{"a new password too short", `{"current_password":"` + alicePW + `","new_password":"short"}`, "invalid_request", 400},
		{"a new password over 1024 bytes", `{"current_password":"` + alicePW + `","new_password":"` + strings.Repeat("n", 1025) + `"}`, "invalid_request", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := b.send("POST", "/session/password", tc.body)
			if w.Code != tc.status || oauthErr(t, w) != tc.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if b.value(accessCookie) != before {
				t.Error("the cookies changed")
			}
			if w := f.bearer("GET", "/userinfo", other.AccessToken); w.Code != http.StatusOK {
				t.Error("the other session ended")
			}
		})
	}

	w := b.send("POST", "/session/password", `{"current_password":"`+alicePW+`","new_password":"`+next+`"}`)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var body map[string]any
	decode(t, w, &body)
	if body["sessions_ended"] != float64(1) || body["expires_in"] != float64(900) {
		t.Errorf("body %v, want 1 other session ended", body)
	}
	if b.value(accessCookie) == before {
		t.Fatal("no new access cookie")
	}
	if w := b.send("GET", "/userinfo", ""); w.Code != http.StatusOK {
		t.Errorf("this browser was signed out: %d", w.Code)
	}
	if w := b.send("POST", "/session/refresh", ""); w.Code != http.StatusOK {
		t.Errorf("this browser's new session does not refresh: %d", w.Code)
	}
	if w := f.bearer("GET", "/userinfo", other.AccessToken); w.Code != http.StatusUnauthorized {
		t.Errorf("the other session survived the password change: %d", w.Code)
	}
	if _, err := f.sessions.Authenticate(f.ctx, before); err == nil {
		t.Error("this browser's old access token is still honoured")
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Errorf("%d sessions, want this browser's", n)
	}
	if w := f.postForm("/token", form("grant_type", "password", "username", "alice", "password", next)); w.Code != http.StatusOK {
		t.Errorf("the new password does not log in: %d", w.Code)
	}
}

func TestCookieRequestsFromAnotherSiteChangeNothing(t *testing.T) {
	f, alice := browserFixture(t)
	b := newBrowser(f)
	b.mustLogin("alice", alicePW)
	sid := func() string {
		w := b.send("GET", "/sessions", "")
		var out struct {
			Sessions []struct{ ID string } `json:"sessions"`
		}
		decode(t, w, &out)
		return out.Sessions[0].ID
	}()
	login := `{"username":"alice","password":"` + alicePW + `"}`
	change := `{"current_password":"` + alicePW + `","new_password":"another passphrase"}`
	routes := []struct{ method, target, body string }{
		{"POST", "/session/login", login},
		{"POST", "/session/refresh", ""},
		{"POST", "/session/logout", ""},
		{"POST", "/session/password", change},
		{"POST", "/logout", `{"all":"true"}`},
		{"DELETE", "/sessions/" + sid, ""},
	}
	attacks := []struct {
		name    string
		headers []string
		why     string
	}{
		{"a form posted from another site", []string{"Sec-Fetch-Site: cross-site", "Origin: https://evil.example", "Content-Type: application/x-www-form-urlencoded"}, "cross-origin request refused"},
		{"a text/plain form from another site", []string{"Sec-Fetch-Site: cross-site", "Origin: https://evil.example", "Content-Type: text/plain"}, "cross-origin request refused"},
		{"a fetch from another site that got the header through", []string{"Sec-Fetch-Site: cross-site", "Origin: https://evil.example", "X-Requested-With: fetch"}, "cross-origin request refused"},
		{"an old browser posting from another origin", []string{"Origin: https://evil.example", "X-Requested-With: fetch"}, "cross-origin request refused"},
		{"a same-site page without the header", []string{"Sec-Fetch-Site: same-origin"}, "the X-Requested-With header is required with cookie credentials"},
		{"a same-origin form body", []string{"Sec-Fetch-Site: same-origin", "X-Requested-With: fetch", "Content-Type: application/x-www-form-urlencoded"}, "a form or text/plain body cannot change state with cookie credentials"},
		{"a same-origin text/plain body", []string{"Sec-Fetch-Site: same-origin", "X-Requested-With: fetch", "Content-Type: text/plain"}, "a form or text/plain body cannot change state with cookie credentials"},
	}
	access, refresh := b.value(accessCookie), b.value(refreshCookie)
	for _, a := range attacks {
		for _, rt := range routes {
			t.Run(a.name+" to "+rt.method+" "+rt.target, func(t *testing.T) {
				body := rt.body
				if body == "" {
					body = "x=1" // a form always has a body; the rule must hold with or without one
				}
				w := b.send(rt.method, rt.target, body, a.headers...)
				var e map[string]string
				decode(t, w, &e)
				if w.Code != http.StatusForbidden || e["error_description"] != a.why {
					t.Fatalf("%d %s, want 403 %q", w.Code, w.Body, a.why)
				}
				if len(w.Result().Cookies()) != 0 {
					t.Error("cookies set")
				}
			})
		}
	}
	if b.value(accessCookie) != access || b.value(refreshCookie) != refresh {
		t.Fatal("the cookies changed")
	}
	if w := b.send("GET", "/userinfo", ""); w.Code != http.StatusOK {
		t.Errorf("the session ended: %d", w.Code)
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Errorf("%d sessions, want the one", n)
	}
	if w := f.postForm("/token", form("grant_type", "password", "username", "alice", "password", alicePW)); w.Code != http.StatusOK {
		t.Errorf("the password changed: %d", w.Code)
	}
}

func TestAnOriginListedForCORSMayUseTheCookieEndpoints(t *testing.T) {
	f, _ := browserFixture(t, func(c *httpapi.Config) { c.CORSOrigins = []string{"https://app.auth.example.test"} })
	b := newBrowser(f)
	front := []string{"Sec-Fetch-Site: same-site", "Origin: https://app.auth.example.test", "X-Requested-With: fetch"}
	body, _ := json.Marshal(map[string]string{"username": "alice", "password": alicePW})
	w := b.send("POST", "/session/login", string(body), front...)
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "https://app.auth.example.test" {
		t.Fatalf("login from the listed origin: %d %s, ACAO %q", w.Code, w.Body, w.Header().Get("Access-Control-Allow-Origin"))
	}
	if w := b.send("POST", "/logout", `{"others":"true"}`, front...); w.Code != http.StatusNoContent {
		t.Fatalf("logout from the listed origin: %d %s", w.Code, w.Body)
	}
	other := []string{"Sec-Fetch-Site: same-site", "Origin: https://other.auth.example.test", "X-Requested-With: fetch"}
	if w := b.send("POST", "/session/logout", "", other...); w.Code != http.StatusForbidden {
		t.Fatalf("logout from an unlisted origin of the same site: %d %s", w.Code, w.Body)
	}
}

func TestDevCookiesNeedALoopbackIssuer(t *testing.T) {
	srv := testserver.New(t, testserver.Options{})
	cfg := func(issuer string) httpapi.Config {
		return httpapi.Config{Store: srv.Store, Sessions: srv.Sessions, Accounts: srv.Accounts, Clients: srv.Clients, Keyring: srv.Keys,
			Passwords: srv.Hasher, Issuer: issuer, DevCookies: true, Logger: nil}
	}
	for _, iss := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://LOCALHOST", "http://[::1]:9000", "http://127.9.9.9"} {
		if _, err := httpapi.New(cfg(iss)); err != nil {
			t.Errorf("issuer %s: %v", iss, err)
		}
	}
	for _, iss := range []string{"https://auth.example.test", "http://10.0.0.1:8080", "http://localhost.evil.example", "http://0.0.0.0:8080", "http://[::ffff:10.0.0.1]"} {
		if _, err := httpapi.New(cfg(iss)); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("issuer %s: %v, want a refusal naming loopback", iss, err)
		}
	}
}

func TestDevCookiesArePlainHTTPCookiesAndSaySo(t *testing.T) {
	f, _ := browserFixture(t, func(c *httpapi.Config) { c.Issuer = "http://127.0.0.1:8080"; c.DevCookies = true })
	if !strings.Contains(f.logs.String(), "development cookies") {
		t.Errorf("the log does not say development cookies are on:\n%s", f.logs)
	}
	b := newBrowser(f)
	w := b.login("alice", alicePW)
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	got := map[string]*http.Cookie{}
	for _, c := range w.Result().Cookies() {
		got[c.Name] = c
	}
	for name, path := range map[string]string{guard.DevAccessCookie: "/", "gatehouse-refresh": "/session/refresh"} {
		c := got[name]
		if c == nil || c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != path {
			t.Errorf("cookie %s = %+v, want HttpOnly, SameSite=Strict, not Secure, path %s", name, c, path)
		}
	}
	if w := b.send("GET", "/userinfo", ""); w.Code != http.StatusOK {
		t.Errorf("GET /userinfo with the dev cookie: %d", w.Code)
	}
	if w := b.send("POST", "/session/refresh", ""); w.Code != http.StatusOK {
		t.Errorf("refresh with the dev cookie: %d", w.Code)
	}
}

func TestTheRefreshCookieFollowsTheIssuersPath(t *testing.T) {
	f, _ := browserFixture(t, func(c *httpapi.Config) { c.Issuer = "https://example.test/auth/" })
	w := newBrowser(f).login("alice", alicePW)
	for _, c := range w.Result().Cookies() {
		if c.Name == refreshCookie && c.Path != "/auth/session/refresh" {
			t.Errorf("refresh cookie path %q, want /auth/session/refresh", c.Path)
		}
		if c.Name == accessCookie && c.Path != "/" {
			t.Errorf("access cookie path %q, want / (a __Host- cookie)", c.Path)
		}
	}
}
