package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/session"
	"github.com/prometheus/client_golang/prometheus"
)

const issuer = testserver.Issuer

// clock is the settable clock shared with the code under test.
type clock = testclock.Clock

// fixture is a test server (internal/testserver) whose handler the tests
// call in-process, with the remote address they choose.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	srv      *testserver.Server
	store    gatehouse.Store
	clock    *clock
	keys     *session.Keyring
	sessions *session.Manager
	hasher   *password.Hasher
	handler  http.Handler
	registry *prometheus.Registry
	logs     *testserver.SyncBuffer
}

type fixtureOpt func(*httpapi.Config)

func newFixture(t *testing.T, opts ...fixtureOpt) *fixture {
	t.Helper()
	srv := testserver.New(t, testserver.Options{HTTP: func(c *httpapi.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		for _, o := range opts {
			o(c)
		}
	}})
	return &fixture{t: t, ctx: srv.Ctx, srv: srv, store: srv.Store, clock: srv.Clock, keys: srv.Keys, sessions: srv.Sessions,
		hasher: srv.Hasher, handler: srv.Handler, registry: srv.Registry, logs: srv.Logs}
}

// addUser creates a user with a password and scopes.
func (f *fixture) addUser(name, pw string, scopes ...string) *gatehouse.User {
	f.t.Helper()
	return f.srv.AddUser(name, pw, scopes...)
}

// addClient registers a client; an empty secret makes it public.
func (f *fixture) addClient(id, secret string) {
	f.t.Helper()
	f.srv.AddClient(id, secret)
}

// req is a request to the fixture's handler.
type req struct {
	method, target string
	body           string
	contentType    string
	header         http.Header
	remote         string
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func (f *fixture) do(r req) *httptest.ResponseRecorder {
	f.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.target, body)
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	} else if r.body != "" {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range r.header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, hr)
	return w
}

func (f *fixture) postForm(target, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.do(req{method: "POST", target: target, body: body})
}

func (f *fixture) bearer(method, target, tok string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.do(req{method: method, target: target, header: http.Header{"Authorization": {"Bearer " + tok}}})
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// login logs in with the password grant and returns the tokens.
func (f *fixture) login(user, pw string, extra ...string) tokens {
	f.t.Helper()
	w := f.postForm("/token", form(append([]string{"grant_type", "password", "username", user, "password", pw}, extra...)...))
	if w.Code != http.StatusOK {
		f.t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	var tk tokens
	decode(f.t, w, &tk)
	return tk
}

// refresh uses a refresh token and returns the answer.
func (f *fixture) refresh(rt string) *httptest.ResponseRecorder {
	f.t.Helper()
	return f.postForm("/token", form("grant_type", "refresh_token", "refresh_token", rt))
}

func decode(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
}

// oauthErr returns the error member of an RFC 6749 §5.2 body.
func oauthErr(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	decode(t, w, &e)
	return e.Error
}

func basic(id, secret string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))}}
}

// checkNoStore asserts the headers of every answer that concerns tokens.
func checkNoStore(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := w.Header().Get("Pragma"); got != "no-cache" {
		t.Errorf("Pragma = %q, want no-cache", got)
	}
}

func (f *fixture) userCount() int {
	f.t.Helper()
	us, err := f.store.ListUsers(f.ctx, "", 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(us)
}

func (f *fixture) sessionCount(userID string) int {
	f.t.Helper()
	ss, err := f.sessions.Sessions(f.ctx, userID)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(ss)
}
