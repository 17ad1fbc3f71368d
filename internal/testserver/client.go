package testserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
)

// AddUser creates a user with a password hashed by the server's hasher.
func (s *Server) AddUser(name, pw string, scopes ...string) *gatehouse.User {
	s.T.Helper()
	hash, err := s.Hasher.Hash(s.Ctx, pw)
	if err != nil {
		s.T.Fatal(err)
	}
	return s.AddUserHash(name, hash, scopes...)
}

// AddUserHash creates a user with a stored hash, as an import would.
func (s *Server) AddUserHash(name, hash string, scopes ...string) *gatehouse.User {
	s.T.Helper()
	canon, err := account.CanonicalUsername(name)
	if err != nil {
		s.T.Fatal(err)
	}
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	u := &gatehouse.User{ID: gatehouse.NewID(), Username: canon, PasswordHash: hash, Scopes: scopes,
		CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, Epoch: now}
	if err := s.Store.CreateUser(s.Ctx, u); err != nil {
		s.T.Fatal(err)
	}
	return u
}

// AddClient registers a client; an empty secret makes it public.
func (s *Server) AddClient(id, secret string) {
	s.T.Helper()
	c := &gatehouse.Client{ID: id, Name: id, Public: secret == "", CreatedAt: s.Clock.Now()}
	if secret != "" {
		h, err := s.Hasher.Hash(s.Ctx, secret)
		if err != nil {
			s.T.Fatal(err)
		}
		c.SecretHash = h
	}
	if err := s.Store.CreateClient(s.Ctx, c); err != nil {
		s.T.Fatal(err)
	}
}

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// OAuthError is the error member of an RFC 6749 §5.2 body; "" if none.
func (r *Response) OAuthError() string {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error
}

// Decode decodes the JSON body into v, failing the test if it cannot.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
}

func (r *Response) String() string {
	b := string(r.Body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return http.StatusText(r.Status) + " " + strings.TrimSpace(b)
}

// Do sends a request to the server. contentType "" sends none; header
// values are added. It is safe to call from several goroutines.
func (s *Server) Do(t testing.TB, method, target, contentType string, body io.Reader, header http.Header) *Response {
	t.Helper()
	req, err := http.NewRequestWithContext(s.Ctx, method, s.URL+target, body)
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
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, target, err)
		return &Response{}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s: read body: %v", method, target, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// FormType is the content type of form-encoded bodies.
const FormType = "application/x-www-form-urlencoded"

// PostForm posts a form-encoded body.
func (s *Server) PostForm(t testing.TB, target string, v url.Values, header http.Header) *Response {
	t.Helper()
	return s.Do(t, "POST", target, FormType, strings.NewReader(v.Encode()), header)
}

// PostJSON posts v as a JSON body with Authorization: Bearer tok (none when tok is "").
func (s *Server) PostJSON(t testing.TB, method, target, tok string, v any) *Response {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return s.Do(t, method, target, "application/json", strings.NewReader(string(b)), h)
}

// Bearer sends a request without a body with Authorization: Bearer tok.
func (s *Server) Bearer(t testing.TB, method, target, tok string) *Response {
	t.Helper()
	return s.Do(t, method, target, "", nil, http.Header{"Authorization": {"Bearer " + tok}})
}

// Form builds url.Values from key, value pairs.
func Form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// Tokens is a token endpoint answer.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// TryLogin logs in with the password grant; extra are more form pairs.
func (s *Server) TryLogin(t testing.TB, user, pw string, extra ...string) (*Response, Tokens) {
	t.Helper()
	r := s.PostForm(t, "/token", Form(append([]string{"grant_type", "password", "username", user, "password", pw}, extra...)...), nil)
	var tk Tokens
	if r.Status == http.StatusOK {
		r.Decode(t, &tk)
	}
	return r, tk
}

// Login logs in with the password grant and fails the test unless it works.
func (s *Server) Login(t testing.TB, user, pw string, extra ...string) Tokens {
	t.Helper()
	r, tk := s.TryLogin(t, user, pw, extra...)
	if r.Status != http.StatusOK {
		t.Fatalf("login %q: %s", user, r)
	}
	return tk
}

// TryRefresh uses a refresh token; header may carry a User-Agent or
// X-Forwarded-For.
func (s *Server) TryRefresh(t testing.TB, rt string, header http.Header) (*Response, Tokens) {
	t.Helper()
	r := s.PostForm(t, "/token", Form("grant_type", "refresh_token", "refresh_token", rt), header)
	var tk Tokens
	if r.Status == http.StatusOK {
		r.Decode(t, &tk)
	}
	return r, tk
}

// Refresh uses a refresh token and fails the test unless it works.
func (s *Server) Refresh(t testing.TB, rt string) Tokens {
	t.Helper()
	r, tk := s.TryRefresh(t, rt, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %s", r)
	}
	return tk
}
