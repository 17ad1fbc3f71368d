package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/httpapi"
)

func TestSignupIsClosedByDefault(t *testing.T) {
	f := newFixture(t)
	w := f.postForm("/signup", form("username", "carol", "password", "correct horse battery"))
	if w.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", w.Code)
	}
	if us, _ := f.store.ListUsers(f.ctx, "", 0); len(us) != 0 {
		t.Fatalf("%d users created", len(us))
	}
}

func TestSignupCreatesAUserWithoutScopesWhoCanLogIn(t *testing.T) {
	f := newFixture(t, func(c *httpapi.Config) { c.Signup = true })
	w := f.postForm("/signup", form("username", "Carol", "password", "correct horse battery"))
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d %s, want 201", w.Code, w.Body)
	}
	var out struct {
		Sub      string `json:"sub"`
		Username string `json:"preferred_username"`
	}
	decode(t, w, &out)
	if out.Username != "carol" || out.Sub == "" {
		t.Fatalf("answer %+v", out)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
	}
	tk := f.login("carol", "correct horse battery")
	if tk.Scope != "" {
		t.Errorf("a signed-up user got scope %q", tk.Scope)
	}
}

func TestSignupRefusesBadInputWithoutCreatingAnything(t *testing.T) {
	f := newFixture(t, func(c *httpapi.Config) { c.Signup = true })
	f.addUser("dave", "correct horse battery")
	long := make([]byte, 1025)
	for i := range long {
		long[i] = 'a'
	}
	for _, tt := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"a taken username is 409", form("username", "DAVE", "password", "another good password"), http.StatusConflict, "conflict"},
		{"an invalid username is 400", form("username", "da\u200bve", "password", "another good password"), http.StatusBadRequest, "invalid_request"},
		{"a short password is 400", form("username", "erin", "password", "short"), http.StatusBadRequest, "invalid_request"},
		{"a password over the cap is 400", form("username", "erin", "password", string(long)), http.StatusBadRequest, "invalid_request"},
		{"a missing password is 400", form("username", "erin"), http.StatusBadRequest, "invalid_request"},
		{"an unknown parameter is 400", form("username", "erin", "password", "another good password", "scope", "gatehouse:admin"), http.StatusBadRequest, "invalid_request"},
		{"a repeated parameter is 400", form("username", "erin", "username", "frank", "password", "another good password"), http.StatusBadRequest, "invalid_request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := f.postForm("/signup", tt.body)
			if w.Code != tt.status || oauthErr(t, w) != tt.code {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, tt.status, tt.code)
			}
		})
	}
	if us, _ := f.store.ListUsers(f.ctx, "", 0); len(us) != 1 {
		t.Fatalf("%d users, want only the one added before", len(us))
	}
}

func TestSignupsFromOneAddressAreThrottled(t *testing.T) {
	f := newFixture(t, func(c *httpapi.Config) { c.Signup = true })
	var last *http.Response
	for i := range 40 {
		w := f.do(req{method: "POST", target: "/signup", remote: "198.51.100.7:1234",
			body: form("username", "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "password", "correct horse battery")})
		if w.Code == http.StatusTooManyRequests {
			last = w.Result()
			break
		}
		if w.Code != http.StatusCreated {
			t.Fatalf("sign-up %d: %d %s", i, w.Code, w.Body)
		}
	}
	if last == nil {
		t.Fatal("40 sign-ups from one address were never throttled")
	}
	if last.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	w := f.do(req{method: "POST", target: "/signup", remote: "203.0.113.9:1234",
		body: form("username", "someoneelse", "password", "correct horse battery")})
	if w.Code != http.StatusCreated {
		t.Errorf("another address was throttled too: %d", w.Code)
	}
}
