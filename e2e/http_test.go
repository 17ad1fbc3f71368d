package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// reply is an HTTP answer with its body decoded when it is JSON.
type reply struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

// str returns the JSON string member name ("" when absent).
func (r *reply) str(name string) string {
	s, _ := r.json[name].(string)
	return s
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// call sends a request to base+path: form-encoded when form is not nil,
// with a bearer token when bearer is not empty.
func call(t *testing.T, method, base, path string, form url.Values, bearer string) *reply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &r.json); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, b)
		}
	}
	return r
}

// tokens is a successful /token answer.
type tokens struct{ access, refresh string }

// login posts the password grant as OAuth2PasswordRequestForm does.
func login(t *testing.T, base, user, pw string) tokens {
	t.Helper()
	r := call(t, "POST", base, "/token", url.Values{
		"grant_type": {"password"}, "username": {user}, "password": {pw},
	}, "")
	return wantTokens(t, r)
}

// loginAdmin logs in asking for the admin scope, which is granted only
// when asked for by name.
func loginAdmin(t *testing.T, base, user, pw string) tokens {
	t.Helper()
	r := call(t, "POST", base, "/token", url.Values{
		"grant_type": {"password"}, "username": {user}, "password": {pw}, "scope": {"gatehouse:admin"},
	}, "")
	return wantTokens(t, r)
}

// refresh posts the refresh_token grant and returns the reply.
func refresh(t *testing.T, base, refreshToken string) *reply {
	t.Helper()
	return call(t, "POST", base, "/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
	}, "")
}

// wantTokens checks a 200 token response (RFC 6749 §5.1) and returns its tokens.
func wantTokens(t *testing.T, r *reply) tokens {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("token endpoint: %d %s", r.status, r.body)
	}
	if r.str("token_type") != "Bearer" || r.str("access_token") == "" || r.str("refresh_token") == "" {
		t.Fatalf("token response lacks token_type Bearer, access_token or refresh_token: %s", r.body)
	}
	if _, ok := r.json["expires_in"].(float64); !ok {
		t.Fatalf("token response lacks a numeric expires_in: %s", r.body)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("token response Cache-Control = %q, want no-store", got)
	}
	return tokens{access: r.str("access_token"), refresh: r.str("refresh_token")}
}

// wantOAuthError checks an RFC 6749 §5.2 error answer.
func wantOAuthError(t *testing.T, r *reply, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got %d %s, want %d with error %q", r.status, r.body, status, code)
	}
}

// wantInvalidToken checks an RFC 6750 refusal of a bearer token.
func wantInvalidToken(t *testing.T, r *reply) {
	t.Helper()
	if r.status != http.StatusUnauthorized {
		t.Fatalf("got %d %s, want 401", r.status, r.body)
	}
	if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) {
		t.Fatalf(`WWW-Authenticate = %q, want Bearer error="invalid_token"`, h)
	}
}

// userinfo calls GET /userinfo with the access token.
func userinfo(t *testing.T, base, access string) *reply {
	t.Helper()
	return call(t, "GET", base, "/userinfo", nil, access)
}

// kids returns the key ids of the server's JWKS.
func kids(t *testing.T, base string) []string {
	t.Helper()
	r := call(t, "GET", base, "/.well-known/jwks.json", nil, "")
	if r.status != http.StatusOK {
		t.Fatalf("jwks: %d %s", r.status, r.body)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(r.body), &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.Kid)
	}
	if len(out) == 0 {
		t.Fatalf("jwks has no keys: %s", r.body)
	}
	return out
}

// rotateKeys rotates the keys of the server at base with the admin API and
// returns the kid that signs after. While the next key has not been
// published for a JWKS cache lifetime (409 with Retry-After), it waits as
// told, and asks again, up to startupDeadline.
func rotateKeys(t *testing.T, base, admin string) string {
	t.Helper()
	deadline := time.Now().Add(startupDeadline)
	for {
		r := call(t, "POST", base, "/admin/keys/rotate", url.Values{}, admin)
		if r.status == http.StatusOK && r.str("active_kid") != "" {
			return r.str("active_kid")
		}
		wait, err := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != http.StatusConflict || err != nil || wait < 1 || time.Now().Add(time.Duration(wait)*time.Second).After(deadline) {
			t.Fatalf("POST /admin/keys/rotate: %d %s (Retry-After %q)", r.status, r.body, r.header.Get("Retry-After"))
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
}
