package abuse_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/session"
)

const issuer = testserver.Issuer

// clock is the settable clock shared with the code under test.
type clock = testclock.Clock

// cheapHashing makes argon2id cheap: the corpus and the endpoint abuse are
// about what the server answers, not about what hashing costs.
var cheapHashing = testserver.CheapHashing

// server is a test server (internal/testserver) with the helpers of the
// attack corpus. The throttle is on, as in production, but with limits
// these tests never reach: brute force has its own tests, and a 429 here
// would hide the answer each row is about.
type server struct {
	t        *testing.T
	ctx      context.Context
	srv      *testserver.Server
	store    gatehouse.Store
	clock    *clock
	sessions *session.Manager
	hasher   *password.Hasher
	url      string
	client   *http.Client
}

func newServer(t *testing.T, hashing password.Config) *server {
	t.Helper()
	srv := testserver.New(t, testserver.Options{Hashing: &hashing, Throttle: &testserver.NoLimits,
		HTTP: func(c *httpapi.Config) { c.TrustedProxies = nil }})
	return &server{t: t, ctx: srv.Ctx, srv: srv, store: srv.Store, clock: srv.Clock, sessions: srv.Sessions,
		hasher: srv.Hasher, url: srv.URL, client: srv.Client}
}

// addUser creates a user with a password hashed by the server's hasher.
func (s *server) addUser(name, pw string, scopes ...string) *gatehouse.User {
	s.t.Helper()
	return s.srv.AddUser(name, pw, scopes...)
}

// addUserHash creates a user with a stored hash, as an import would.
func (s *server) addUserHash(name, hash string, scopes ...string) *gatehouse.User {
	s.t.Helper()
	return s.srv.AddUserHash(name, hash, scopes...)
}

// addClient registers a confidential client.
func (s *server) addClient(id, secret string) {
	s.t.Helper()
	s.srv.AddClient(id, secret)
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// oauthError is the error member of an RFC 6749 §5.2 body; "" if none.
func (r *response) oauthError() string {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error
}

func (r *response) String() string {
	b := string(r.body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return http.StatusText(r.status) + " " + strings.TrimSpace(b)
}

// do sends a request. contentType "" sends none; header values are added.
func (s *server) do(t testing.TB, method, target, contentType string, body io.Reader, header http.Header) *response {
	t.Helper()
	req, err := http.NewRequestWithContext(s.ctx, method, s.url+target, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

const formType = "application/x-www-form-urlencoded"

func (s *server) postForm(t testing.TB, target string, v url.Values, header http.Header) *response {
	t.Helper()
	return s.do(t, "POST", target, formType, strings.NewReader(v.Encode()), header)
}

// bearer sends a request with Authorization: Bearer tok.
func (s *server) bearer(t testing.TB, method, target, tok string) *response {
	t.Helper()
	return s.do(t, method, target, "", nil, http.Header{"Authorization": {"Bearer " + tok}})
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// login logs in with the password grant and fails the test unless it works.
func (s *server) login(t testing.TB, user, pw string) tokens {
	t.Helper()
	r := s.postForm(t, "/token", form("grant_type", "password", "username", user, "password", pw), nil)
	if r.status != http.StatusOK {
		t.Fatalf("login %q: %s", user, r)
	}
	var tk tokens
	if err := json.Unmarshal(r.body, &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

// refresh uses a refresh token and fails the test unless it works.
func (s *server) refresh(t testing.TB, rt string) tokens {
	t.Helper()
	r := s.postForm(t, "/token", form("grant_type", "refresh_token", "refresh_token", rt), nil)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %s", r)
	}
	var tk tokens
	if err := json.Unmarshal(r.body, &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

// subject returns the sub /userinfo reports for an access token.
func (s *server) subject(t testing.TB, access string) string {
	t.Helper()
	r := s.bearer(t, "GET", "/userinfo", access)
	if r.status != http.StatusOK {
		t.Fatalf("userinfo: %s", r)
	}
	var u struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(r.body, &u); err != nil {
		t.Fatal(err)
	}
	return u.Sub
}

// state is what a refused request must not change.
type state struct {
	users       int
	sessions    int // active sessions of every user
	events      int
	lastEvent   int64
	revocations int
	lastCursor  int64
	keys        int
}

func (s *server) state(t testing.TB) state {
	t.Helper()
	var st state
	us, err := s.store.ListUsers(s.ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	st.users = len(us)
	for _, u := range us {
		ss, err := s.store.ListSessions(s.ctx, u.ID, s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		st.sessions += len(ss)
	}
	evs, err := s.store.Events(s.ctx, "", 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	st.events = len(evs)
	if len(evs) > 0 {
		st.lastEvent = evs[0].ID
	}
	revs, err := s.store.Revocations(s.ctx, 0, 100000, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.revocations = len(revs)
	if len(revs) > 0 {
		st.lastCursor = revs[len(revs)-1].Cursor
	}
	_, keys, err := s.store.SigningKeys(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.keys = len(keys)
	return st
}

// unchanged fails the test if the state is not before.
func (s *server) unchanged(t *testing.T, before state) {
	t.Helper()
	if after := s.state(t); after != before {
		t.Errorf("state changed:\nbefore %+v\nafter  %+v", before, after)
	}
}
