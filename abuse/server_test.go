package abuse_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testdb"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

const issuer = "https://auth.example.test"

// clock is the settable clock shared with the code under test.
type clock = testclock.Clock

// cheapHashing makes argon2id cheap: the corpus and the endpoint abuse are
// about what the server answers, not about what hashing costs.
var cheapHashing = password.Config{Memory: 64, Time: 1, AllowWeak: true}

// server is a Gatehouse server on a fresh SQLite database, served over a
// real HTTP listener.
type server struct {
	t        *testing.T
	ctx      context.Context
	store    *sqlite.Store
	clock    *clock
	sessions *session.Manager
	hasher   *password.Hasher
	url      string
	client   *http.Client
}

func newServer(t *testing.T, hashing password.Config) *server {
	t.Helper()
	ctx := context.Background()
	st := testdb.SQLite(t)
	clk := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	keys, err := session.LoadKeyring(ctx, st, session.KeyringConfig{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.New(session.Config{Store: st, Keyring: keys, Issuer: issuer, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h, err := password.New(hashing)
	if err != nil {
		t.Fatal(err)
	}
	// The throttle is on, as in production, but with limits these tests
	// never reach: brute force has its own tests, and a 429 here would
	// hide the answer each row is about.
	const never = 1 << 30
	throttle := ratelimit.New(ratelimit.NewMemory(clk.Now), ratelimit.Config{
		PairFree: never, AccountFree: never, IPFree: never, GlobalPerSecond: -1, Now: clk.Now,
	})
	handler, err := httpapi.New(httpapi.Config{
		Store: st, Sessions: m, Keyring: keys, Passwords: h, Throttle: throttle,
		Issuer: issuer, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	return &server{t: t, ctx: ctx, store: st, clock: clk, sessions: m, hasher: h, url: ts.URL, client: ts.Client()}
}

// addUser creates a user with a password hashed by the server's hasher.
func (s *server) addUser(name, pw string, scopes ...string) *gatehouse.User {
	s.t.Helper()
	hash, err := s.hasher.Hash(s.ctx, pw)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.addUserHash(name, hash, scopes...)
}

// addUserHash creates a user with a stored hash, as an import would.
func (s *server) addUserHash(name, hash string, scopes ...string) *gatehouse.User {
	s.t.Helper()
	canon, err := httpapi.CanonicalUsername(name)
	if err != nil {
		s.t.Fatal(err)
	}
	now := s.clock.Now()
	u := &gatehouse.User{ID: session.NewID(), Username: canon, PasswordHash: hash, Scopes: scopes,
		CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
	if err := s.store.CreateUser(s.ctx, u); err != nil {
		s.t.Fatal(err)
	}
	return u
}

// addClient registers a confidential client.
func (s *server) addClient(id, secret string) {
	s.t.Helper()
	h, err := s.hasher.Hash(s.ctx, secret)
	if err != nil {
		s.t.Fatal(err)
	}
	c := &gatehouse.Client{ID: id, Name: id, SecretHash: h, CreatedAt: s.clock.Now()}
	if err := s.store.CreateClient(s.ctx, c); err != nil {
		s.t.Fatal(err)
	}
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
	us, err := s.store.ListUsers(s.ctx)
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
	keys, err := s.store.SigningKeys(s.ctx)
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
