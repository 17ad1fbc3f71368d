package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/store/resilient"
)

// resilientFixture is a fixture whose store is wrapped as the server
// wraps it (store/resilient).
func resilientFixture(t *testing.T, opts ...fixtureOpt) *fixture {
	t.Helper()
	srv := testserver.New(t, testserver.Options{
		Wrap: func(st gatehouse.Store) gatehouse.Store {
			return resilient.Wrap(st, resilient.Config{Timeout: time.Second})
		},
		HTTP: func(c *httpapi.Config) {
			for _, o := range opts {
				o(c)
			}
		},
	})
	return &fixture{t: t, ctx: srv.Ctx, srv: srv, store: srv.Store, clock: srv.Clock, keys: srv.Keys, sessions: srv.Sessions,
		hasher: srv.Hasher, handler: srv.Handler, registry: srv.Registry, logs: srv.Logs}
}

func TestAnUnavailableDatabaseIs503WithRetryAfterOnEveryRoute(t *testing.T) {
	f := resilientFixture(t)
	f.addUser("alice", "correct horse battery")
	f.addUser("root", "correct horse battery", gatehouse.AdminScope)
	f.addClient("orders-api", "orders-secret")
	user := f.login("alice", "correct horse battery")
	admin := f.login("root", "correct horse battery", "scope", gatehouse.AdminScope)

	// The database goes away under the server (its connections closed).
	f.store.Close()
	f.clock.Advance(time.Second) // past the cached readiness answer

	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	for name, r := range map[string]req{
		"password grant":      {method: "POST", target: "/token", body: form("grant_type", "password", "username", "alice", "password", "correct horse battery")},
		"refresh grant":       {method: "POST", target: "/token", body: form("grant_type", "refresh_token", "refresh_token", user.RefreshToken)},
		"client credentials":  {method: "POST", target: "/token", body: form("grant_type", "client_credentials"), header: basic("orders-api", "orders-secret")},
		"userinfo":            {method: "GET", target: "/userinfo", header: bearer(user.AccessToken)},
		"sessions":            {method: "GET", target: "/sessions", header: bearer(user.AccessToken)},
		"logout":              {method: "POST", target: "/logout", header: bearer(user.AccessToken)},
		"revoke":              {method: "POST", target: "/revoke", body: form("token", user.RefreshToken)},
		"introspect":          {method: "POST", target: "/introspect", body: form("token", user.AccessToken), header: basic("orders-api", "orders-secret")},
		"revocation feed":     {method: "GET", target: "/revocations?since=0", header: basic("orders-api", "orders-secret")},
		"admin list users":    {method: "GET", target: "/admin/users", header: bearer(admin.AccessToken)},
		"admin create user":   {method: "POST", target: "/admin/users", body: `{"username":"bob","password":"correct horse battery"}`, contentType: "application/json", header: bearer(admin.AccessToken)},
		"readiness":           {method: "GET", target: "/readyz"},
		"browser-mode cookie": {method: "POST", target: "/session/refresh", header: http.Header{"Cookie": {"__Host-gh_refresh=x"}, "Origin": {testserver.Issuer}, "X-Requested-With": {"XMLHttpRequest"}}},
	} {
		t.Run(name, func(t *testing.T) {
			w := f.do(r)
			if name == "browser-mode cookie" && w.Code != http.StatusServiceUnavailable {
				// A cookie route may refuse the request before it reaches
				// the store; what it must never do is answer 500.
				if w.Code >= 500 {
					t.Fatalf("%s: %d %s", name, w.Code, w.Body)
				}
				return
			}
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("%d %s, want 503", w.Code, w.Body)
			}
			if w.Header().Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			if name != "readiness" && !strings.Contains(w.Body.String(), `"temporarily_unavailable"`) {
				t.Errorf("body %s, want error temporarily_unavailable", w.Body)
			}
		})
	}
	if strings.Contains(f.logs.String(), `"request failed"`) {
		t.Errorf("an unavailable database was logged as a failed request (a 500):\n%s", f.logs.String())
	}
}

func TestReadinessIsCheckedAtMostOncePerSecond(t *testing.T) {
	var checks atomic.Int32
	var down atomic.Bool
	f := newFixture(t, func(c *httpapi.Config) {
		c.Ready = func(context.Context) error {
			checks.Add(1)
			if down.Load() {
				return gatehouse.ErrUnavailable
			}
			return nil
		}
	})
	for range 20 {
		if w := f.do(req{method: "GET", target: "/readyz"}); w.Code != http.StatusOK {
			t.Fatalf("readyz: %d", w.Code)
		}
	}
	if n := checks.Load(); n != 1 {
		t.Fatalf("20 readiness requests within a second made %d checks, want 1", n)
	}
	down.Store(true)
	f.clock.Advance(time.Second)
	w := f.do(req{method: "GET", target: "/readyz"})
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("readyz when a write cannot succeed: %d (Retry-After %q), want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if n := checks.Load(); n != 2 {
		t.Fatalf("%d checks after a second, want 2", n)
	}
}

func TestDrainingTurnsReadinessOffAndClosesConnections(t *testing.T) {
	draining := make(chan struct{})
	f := newFixture(t, func(c *httpapi.Config) { c.Draining = draining })
	w := f.do(req{method: "GET", target: "/readyz"})
	if w.Code != http.StatusOK || w.Header().Get("Connection") != "" {
		t.Fatalf("before draining: %d, Connection %q", w.Code, w.Header().Get("Connection"))
	}
	close(draining)
	w = f.do(req{method: "GET", target: "/readyz"})
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz while draining: %d, want 503", w.Code)
	}
	// Requests are still served while draining, each asking the client
	// to close its connection.
	f.addUser("alice", "correct horse battery")
	tw := f.postForm("/token", form("grant_type", "password", "username", "alice", "password", "correct horse battery"))
	if tw.Code != http.StatusOK {
		t.Fatalf("login while draining: %d %s", tw.Code, tw.Body)
	}
	for _, w := range []*httptest.ResponseRecorder{w, tw} {
		if got := w.Header().Get("Connection"); got != "close" {
			t.Errorf("Connection %q while draining, want close", got)
		}
	}
}
