package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testserver"
)

const listed = "http://127.0.0.1:8082" // the FastAPI example's docs page

func corsFixture(t *testing.T) *fixture {
	f, _ := browserFixture(t, func(c *httpapi.Config) { c.CORSOrigins = []string{"http://127.0.0.1:8082", "https://App.Example:443"} })
	return f
}

func preflight(f *fixture, target, origin, method, headers string) *http.Response {
	f.t.Helper()
	h := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}}
	if headers != "" {
		h.Set("Access-Control-Request-Headers", headers)
	}
	return f.do(req{method: "OPTIONS", target: target, header: h}).Result()
}

func TestPreflights(t *testing.T) {
	f := corsFixture(t)
	swagger := "authorization,content-type,x-requested-with" // what Swagger UI's Authorize asks for
	granted := []struct{ target, origin, method, headers string }{
		{"/token", listed, "POST", swagger},
		{"/token", "https://app.example", "POST", "content-type"},
		{"/revoke", listed, "POST", "authorization,content-type"},
		{"/userinfo", listed, "GET", "authorization"},
		{"/logout", listed, "POST", "content-type,x-requested-with"},
		{"/sessions", listed, "GET", ""},
		{"/sessions/abc", listed, "DELETE", "x-requested-with"},
		{"/session/login", listed, "POST", "content-type,x-requested-with"},
		{"/session/refresh", listed, "POST", "x-requested-with"},
		{"/session/logout", listed, "POST", "x-requested-with"},
		{"/session/password", listed, "POST", "content-type,x-requested-with"},
	}
	for _, g := range granted {
		t.Run("granted: "+g.method+" "+g.target+" from "+g.origin, func(t *testing.T) {
			r := preflight(f, g.target, g.origin, g.method, g.headers)
			h := r.Header
			if r.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != g.origin ||
				h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Allow-Methods") != g.method ||
				h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, X-Requested-With" || h.Get("Access-Control-Max-Age") != "600" {
				t.Fatalf("%d %v", r.StatusCode, h)
			}
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary %v, want Origin", h.Values("Vary"))
			}
		})
	}
	refused := []struct{ name, target, origin, method, headers, why string }{
		{"an unlisted origin", "/token", "https://evil.example", "POST", "content-type", "origin not allowed"},
		{"a listed origin with another port", "/token", "http://127.0.0.1:8083", "POST", "", "origin not allowed"},
		{"a listed origin with another scheme", "/token", "https://127.0.0.1:8082", "POST", "", "origin not allowed"},
		{"a listed origin in another case", "/token", "https://APP.example", "POST", "", "origin not allowed"},
		{"the origin null", "/token", "null", "POST", "", "origin not allowed"},
		{"a method the route does not take", "/token", listed, "DELETE", "", "method not allowed"},
		{"GET on the token endpoint", "/token", listed, "GET", "", "method not allowed"},
		{"a header the server does not take", "/token", listed, "POST", "content-type,x-debug", "request header not allowed"},
		{"a header on a public document", "/.well-known/jwks.json", "https://evil.example", "GET", "authorization", "request header not allowed"},
	}
	for _, c := range refused {
		t.Run("refused: "+c.name, func(t *testing.T) {
			r := preflight(f, c.target, c.origin, c.method, c.headers)
			if r.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d, want 403", r.StatusCode)
			}
			for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
				if v := r.Header.Get(k); v != "" {
					t.Errorf("%s: %q, want none", k, v)
				}
			}
			var b strings.Builder
			buf := make([]byte, 512)
			n, _ := r.Body.Read(buf)
			b.Write(buf[:n])
			if !strings.Contains(b.String(), c.why) {
				t.Errorf("body %s, want %q", b.String(), c.why)
			}
		})
	}
	t.Run("the public documents: any origin, no credentials", func(t *testing.T) {
		for _, target := range []string{"/.well-known/jwks.json", "/.well-known/oauth-authorization-server"} {
			r := preflight(f, target, "https://anyone.example", "GET", "")
			if r.StatusCode != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s: %d %v", target, r.StatusCode, r.Header)
			}
		}
	})
	t.Run("routes outside the list grant nothing, even to a listed origin", func(t *testing.T) {
		for _, target := range []string{"/introspect", "/revocations", "/admin/users", "/account", "/healthz"} {
			r := preflight(f, target, listed, "POST", "")
			if r.Header.Get("Access-Control-Allow-Origin") != "" || r.StatusCode == http.StatusNoContent {
				t.Errorf("%s: %d %v", target, r.StatusCode, r.Header)
			}
		}
	})
	t.Run("an OPTIONS that is no preflight is still 405 with Allow", func(t *testing.T) {
		w := f.do(req{method: "OPTIONS", target: "/token"})
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
			t.Errorf("%d Allow %q", w.Code, w.Header().Get("Allow"))
		}
	})
	t.Run("preflights count under their route", func(t *testing.T) {
		body := f.do(req{method: "GET", target: "/metrics"}).Body.String()
		for _, want := range []string{
			`gatehouse_http_requests_total{code="204",method="OPTIONS",route="/token"} 2`,
			`gatehouse_http_requests_total{code="204",method="OPTIONS",route="/sessions/{id}"} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func TestAnswersCarryTheGrantOnlyForListedOrigins(t *testing.T) {
	f := corsFixture(t)
	login := form("grant_type", "password", "username", "alice", "password", alicePW)
	for _, tc := range []struct {
		name, origin string
		want         bool
	}{
		{"a listed origin", listed, true},
		{"an unlisted origin", "https://evil.example", false},
		{"no origin", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Authorization": {"Basic Og=="}}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			w := f.do(req{method: "POST", target: "/token", body: login, header: h})
			if w.Code != http.StatusOK {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			acao, acac := w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Access-Control-Allow-Credentials")
			if tc.want && (acao != tc.origin || acac != "true" || !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "WWW-Authenticate") ||
				!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "X-Request-Id")) {
				t.Errorf("ACAO %q ACAC %q, want the origin and true", acao, acac)
			}
			if !tc.want && (acao != "" || acac != "") {
				t.Errorf("ACAO %q ACAC %q, want none", acao, acac)
			}
			if !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
				t.Error("no Vary: Origin")
			}
		})
	}
	t.Run("an error answer carries the grant, so the page can read it", func(t *testing.T) {
		w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "password", "username", "alice", "password", "wrong"),
			header: http.Header{"Origin": {listed}}})
		if w.Code != 400 || w.Header().Get("Access-Control-Allow-Origin") != listed {
			t.Errorf("%d ACAO %q", w.Code, w.Header().Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("two Origin headers are no listed origin", func(t *testing.T) {
		w := f.do(req{method: "GET", target: "/userinfo", header: http.Header{"Origin": {listed, "https://evil.example"}}})
		if w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("ACAO %q", w.Header().Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("the JWKS is readable from any origin without credentials", func(t *testing.T) {
		w := f.do(req{method: "GET", target: "/.well-known/jwks.json", header: http.Header{"Origin": {"https://anyone.example"}}})
		if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%d %v", w.Code, w.Header())
		}
	})
	t.Run("the admin API grants nothing", func(t *testing.T) {
		w := f.do(req{method: "GET", target: "/admin/users", header: http.Header{"Origin": {listed}}})
		if w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("ACAO %q", w.Header().Get("Access-Control-Allow-Origin"))
		}
	})
}

func TestWithoutCORSOriginsNoOriginIsGranted(t *testing.T) {
	f, _ := browserFixture(t)
	if r := preflight(f, "/token", listed, "POST", ""); r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight: %d %v", r.StatusCode, r.Header)
	}
	w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "password", "username", "alice", "password", alicePW), header: http.Header{"Origin": {listed}}})
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("ACAO %q", w.Header().Get("Access-Control-Allow-Origin"))
	}
}

func TestCORSOriginsMustBeExactOrigins(t *testing.T) {
	srv := testserver.New(t, testserver.Options{})
	cfg := func(origins ...string) httpapi.Config {
		return httpapi.Config{Store: srv.Store, Sessions: srv.Sessions, Accounts: srv.Accounts, Clients: srv.Clients, Keyring: srv.Keys,
			Passwords: srv.Hasher, Issuer: testserver.Issuer, CORSOrigins: origins}
	}
	for _, o := range []string{"*", "null", "https://*.example.com", "https://app.example/", "https://app.example/path", "app.example",
		"ftp://app.example", "https://user@app.example", "https://app.example?x=1", "https://app.example#top", "https://"} {
		if _, err := httpapi.New(cfg(o)); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
	if _, err := httpapi.New(cfg("https://app.example", "http://127.0.0.1:8082", "http://[::1]:3000")); err != nil {
		t.Errorf("valid origins refused: %v", err)
	}
}
