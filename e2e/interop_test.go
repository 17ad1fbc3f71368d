package e2e_test

// Interoperability: real clients and verifiers that people use, against a
// real `gatehouse serve`. Go's golang.org/x/oauth2 logs in, refreshes and
// calls /userinfo; PyJWT verifies access tokens from the JWKS;
// requests-oauthlib logs in with the password grant; the FastAPI and Node
// examples in examples/ protect a route and are called with real tokens.
// Dependencies come from scripts/interop-deps.sh.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// interopServer starts Gatehouse with alice (orders:read) and bob (profile,
// no orders scope), both with alicePassword, and returns it with its database.
func interopServer(t *testing.T) (*proc, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	// A JWKS cache lifetime of a second: a rotation may happen three
	// seconds after start (docs/keys.md).
	gh := startGatehouse(t, db, "127.0.0.1:0", "--jwks-max-age", "1s")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "bob", "--password-stdin", "--scope", "profile")
	return gh, db
}

// jwtPart decodes the JSON of one part (0 header, 1 claims) of a compact JWT.
func jwtPart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// recordedRequest is what the recording transport saw of one request.
type recordedRequest struct {
	method, path, authorization string
	form                        url.Values
	status                      int
}

// recorder is an http.RoundTripper that records each request it sends.
type recorder struct {
	mu   sync.Mutex
	reqs []recordedRequest
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := recordedRequest{method: req.Method, path: req.URL.Path, authorization: req.Header.Get("Authorization")}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		rec.form, _ = url.ParseQuery(string(b))
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if resp != nil {
		rec.status = resp.StatusCode
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return resp, err
}

// take returns the requests recorded since the last call.
func (r *recorder) take() []recordedRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// basic is the Authorization value of HTTP Basic as x/oauth2 builds it.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// TestInteropGoOAuth2 uses golang.org/x/oauth2 as a Go client would: the
// password grant with the default AuthStyleAutoDetect (HTTP Basic with an
// empty secret first), a refresh through the TokenSource once the token has
// expired, and /userinfo through Config.Client, which refreshes on its own.
func TestInteropGoOAuth2(t *testing.T) {
	gh, db := interopServer(t)
	rec := &recorder{}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rec, Timeout: 30 * time.Second})
	conf := &oauth2.Config{
		ClientID: "gatehouse",
		Endpoint: oauth2.Endpoint{TokenURL: gh.url() + "/token", AuthStyle: oauth2.AuthStyleAutoDetect},
		Scopes:   []string{"orders:read"},
	}

	tok, err := conf.PasswordCredentialsToken(ctx, "alice", alicePassword)
	if err != nil {
		t.Fatalf("PasswordCredentialsToken: %v", err)
	}
	t.Run("password grant succeeds with HTTP Basic and an empty secret, first try", func(t *testing.T) {
		reqs := rec.take()
		if len(reqs) != 1 {
			t.Fatalf("x/oauth2 sent %d requests, want 1 (Basic accepted at once): %+v", len(reqs), reqs)
		}
		r := reqs[0]
		if r.path != "/token" || r.authorization != basic("gatehouse", "") || r.form.Get("grant_type") != "password" ||
			r.form.Get("username") != "alice" || r.form.Has("client_id") {
			t.Fatalf("request = %+v, want POST /token, Basic gatehouse with an empty secret, the password grant, no client_id in the form", r)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" || !strings.EqualFold(tok.Type(), "Bearer") {
			t.Fatalf("token = %+v, want access and refresh tokens of type Bearer", tok)
		}
		if left := time.Until(tok.Expiry); left < 10*time.Minute || left > 16*time.Minute {
			t.Errorf("Expiry in %v, want about the default 15m access TTL (from expires_in)", left)
		}
		if got := tok.Extra("scope"); got != "orders:read" {
			t.Errorf(`Extra("scope") = %v, want "orders:read"`, got)
		}
		if h := jwtPart(t, tok.AccessToken, 0); h["typ"] != "at+jwt" || h["alg"] != "ES256" || h["kid"] == "" {
			t.Errorf("access token header = %v, want typ at+jwt, alg ES256 and a kid", h)
		}
	})

	first := *tok
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute)
	refreshed, err := conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("TokenSource(expired).Token(): %v", err)
	}
	t.Run("TokenSource refreshes an expired token with the rotating refresh token", func(t *testing.T) {
		reqs := rec.take()
		if len(reqs) != 1 || reqs[0].form.Get("grant_type") != "refresh_token" ||
			reqs[0].form.Get("refresh_token") != first.RefreshToken || reqs[0].authorization != basic("gatehouse", "") || reqs[0].status != http.StatusOK {
			t.Fatalf("requests = %+v, want one refresh_token grant with the first refresh token and Basic, answered 200", reqs)
		}
		if refreshed.AccessToken == "" || refreshed.AccessToken == first.AccessToken {
			t.Error("the refresh did not return a new access token")
		}
		if refreshed.RefreshToken == "" || refreshed.RefreshToken == first.RefreshToken {
			t.Error("the refresh did not rotate the refresh token")
		}
		if !refreshed.Valid() {
			t.Errorf("refreshed token not valid: expiry %v", refreshed.Expiry)
		}
		if a, b := jwtPart(t, first.AccessToken, 1), jwtPart(t, refreshed.AccessToken, 1); a["sid"] != b["sid"] || a["sub"] != b["sub"] {
			t.Errorf("refreshed token claims %v, want the same session and subject as %v", b, a)
		}
	})

	t.Run("Config.Client calls /userinfo with the bearer token", func(t *testing.T) {
		resp, err := conf.Client(ctx, refreshed).Get(gh.url() + "/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		info := decodeJSON(t, resp)
		sub := jwtPart(t, refreshed.AccessToken, 1)["sub"]
		if resp.StatusCode != http.StatusOK || info["sub"] != sub || info["preferred_username"] != "alice" || info["scope"] != "orders:read" {
			t.Fatalf("/userinfo: %d %v, want 200 with sub %v, alice and orders:read", resp.StatusCode, info, sub)
		}
		reqs := rec.take()
		if len(reqs) != 1 || reqs[0].authorization != "Bearer "+refreshed.AccessToken {
			t.Fatalf("requests = %+v, want only GET /userinfo with the bearer token", reqs)
		}
	})

	t.Run("Config.Client refreshes an expired token before calling /userinfo", func(t *testing.T) {
		stale := *refreshed
		stale.Expiry = time.Now().Add(-time.Minute)
		resp, err := conf.Client(ctx, &stale).Get(gh.url() + "/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		info := decodeJSON(t, resp)
		if resp.StatusCode != http.StatusOK || info["preferred_username"] != "alice" {
			t.Fatalf("/userinfo: %d %v, want 200 for alice", resp.StatusCode, info)
		}
		reqs := rec.take()
		if len(reqs) != 2 || reqs[0].path != "/token" || reqs[0].form.Get("refresh_token") != refreshed.RefreshToken ||
			reqs[1].path != "/userinfo" || reqs[1].authorization == "Bearer "+refreshed.AccessToken {
			t.Fatalf("requests = %+v, want a refresh with the second refresh token, then /userinfo with a new access token", reqs)
		}
	})

	t.Run("a registered confidential client authenticates with its secret in HTTP Basic", func(t *testing.T) {
		id, secret := addClient(t, db, "webapp")
		conf := &oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: oauth2.Endpoint{TokenURL: gh.url() + "/token"}}
		tok, err := conf.PasswordCredentialsToken(ctx, "alice", alicePassword)
		if err != nil {
			t.Fatalf("PasswordCredentialsToken: %v", err)
		}
		if reqs := rec.take(); len(reqs) != 1 || reqs[0].authorization != basic(id, secret) {
			t.Fatalf("requests = %+v, want one request with Basic and the client's secret", reqs)
		}
		if got := jwtPart(t, tok.AccessToken, 1)["client_id"]; got != id {
			t.Errorf("client_id claim = %v, want %s", got, id)
		}
		stale := *tok
		stale.Expiry = time.Now().Add(-time.Minute)
		if _, err := conf.TokenSource(ctx, &stale).Token(); err != nil {
			t.Fatalf("refresh as the confidential client: %v", err)
		}
		rec.take()
	})

	t.Run("a wrong secret is a RetrieveError with invalid_client", func(t *testing.T) {
		id, _ := addClient(t, db, "webapp2")
		conf := &oauth2.Config{ClientID: id, ClientSecret: "not-the-secret", Endpoint: oauth2.Endpoint{TokenURL: gh.url() + "/token"}}
		_, err := conf.PasswordCredentialsToken(ctx, "alice", alicePassword)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
			t.Fatalf("err = %v, want a RetrieveError 401 invalid_client", err)
		}
		rec.take()
	})

	t.Run("a wrong password is a RetrieveError with invalid_grant", func(t *testing.T) {
		_, err := conf.PasswordCredentialsToken(ctx, "alice", "not the password")
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("err = %v, want a RetrieveError with invalid_grant", err)
		}
		rec.take()
	})
}

// decodeJSON reads and closes a JSON response body.
func decodeJSON(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	var m map[string]any
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, b)
	}
	return m
}

// addClient registers a confidential client and returns its id and secret.
func addClient(t *testing.T, db, name string) (id, secret string) {
	t.Helper()
	return clientCredentials(t, gatehouse(t, db, "", "client", "add", name))
}

// runPython runs a script of testdata/interop with the system Python and
// decodes its JSON stdout.
func runPython(t *testing.T, stdin string, env []string, script string, args ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, append([]string{filepath.Join("testdata", "interop", script)}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", script, err, stdout.String(), stderr.String())
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%s printed no JSON object: %v\n%s\nstderr: %s", script, err, stdout.String(), stderr.String())
	}
	return out
}

// TestInteropPyJWT verifies Gatehouse access tokens with PyJWT's
// PyJWKClient against the JWKS, as a Python resource server would, and
// checks that PyJWT refuses what it must: a forged signature, another
// audience, another issuer.
func TestInteropPyJWT(t *testing.T) {
	needPython(t, "jwt", "cryptography")
	gh, _ := interopServer(t)
	tok := login(t, gh.url(), "alice", alicePassword)
	parts := strings.Split(tok.access, ".")
	forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	in, _ := json.Marshal(map[string]string{"valid": tok.access, "forged": forged})

	out := runPython(t, string(in), nil, "pyjwt_verify.py", gh.url(), gh.url())
	t.Logf("PyJWT %v", out["pyjwt_version"])
	results, _ := out["results"].(map[string]any)
	valid, _ := results["valid"].(map[string]any)
	claims, _ := valid["claims"].(map[string]any)
	if claims == nil {
		t.Fatalf("PyJWT refused a valid access token: %v", valid)
	}
	want := jwtPart(t, tok.access, 1)
	for _, name := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "sid", "scope", "client_id"} {
		if claims[name] == nil || !jsonEqual(claims[name], want[name]) {
			t.Errorf("claim %s = %v, want %v", name, claims[name], want[name])
		}
	}
	if header := jwtPart(t, tok.access, 0); valid["kid"] != header["kid"] {
		t.Errorf("PyJWKClient chose key %v, want the header's kid %v", valid["kid"], header["kid"])
	}
	if forgedResult, _ := results["forged"].(map[string]any); forgedResult["error"] != "InvalidSignatureError" {
		t.Errorf("forged signature: %v, want InvalidSignatureError", forgedResult)
	}

	out = runPython(t, string(in), nil, "pyjwt_verify.py", gh.url(), "https://another-api.example")
	if r := out["results"].(map[string]any)["valid"].(map[string]any); r["error"] != "InvalidAudienceError" {
		t.Errorf("another audience: %v, want InvalidAudienceError", r)
	}
}

// jsonEqual compares two decoded JSON values.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestInteropRequestsOAuthlib logs in with requests-oauthlib's password
// grant (LegacyApplicationClient: Basic with the client id and an empty
// secret), calls /userinfo through the OAuth2Session and refreshes.
func TestInteropRequestsOAuthlib(t *testing.T) {
	needPython(t, "requests_oauthlib", "oauthlib")
	gh, _ := interopServer(t)
	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte(alicePassword), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runPython(t, "", nil, "requests_oauthlib_login.py", gh.url(), "alice", pwFile)
	t.Logf("versions %v", out["versions"])

	token, _ := out["token"].(map[string]any)
	access, _ := token["access_token"].(string)
	if access == "" || token["refresh_token"] == nil || !strings.EqualFold(token["token_type"].(string), "Bearer") {
		t.Fatalf("fetch_token returned %v, want access and refresh tokens of type Bearer", token)
	}
	if _, ok := token["expires_at"].(float64); !ok {
		t.Errorf("fetch_token gave no expires_at (from expires_in): %v", token)
	}
	sub := jwtPart(t, access, 1)["sub"]
	for _, name := range []string{"userinfo", "userinfo_after_refresh"} {
		ui, _ := out[name].(map[string]any)
		body, _ := ui["body"].(map[string]any)
		if ui["status"] != float64(200) || body["sub"] != sub || body["preferred_username"] != "alice" {
			t.Errorf("%s = %v, want 200 with sub %v and alice", name, ui, sub)
		}
	}
	refreshed, _ := out["refreshed"].(map[string]any)
	if refreshed["access_token"] == access || refreshed["refresh_token"] == token["refresh_token"] || refreshed["refresh_token"] == nil {
		t.Errorf("refresh_token returned %v, want a new access token and a rotated refresh token", refreshed)
	}
}

// wantOrdersAPI calls GET /orders of an example API with real tokens: alice
// (orders:read) gets 200 with her claims, no token is 401, bob (no
// orders:read) is 403 insufficient_scope, a forged token is 401
// invalid_token; after a key rotation, tokens of the new and of the retired
// key are both accepted at once.
func wantOrdersAPI(t *testing.T, gh *proc, db string, api *proc) {
	t.Helper()
	t.Run("a token with orders:read gets 200 and its claims", func(t *testing.T) {
		tok := login(t, gh.url(), "alice", alicePassword)
		r := call(t, "GET", api.url(), "/orders", nil, tok.access)
		if r.status != http.StatusOK {
			t.Fatalf("GET /orders: %d %s", r.status, r.body)
		}
		claims := jwtPart(t, tok.access, 1)
		if got := r.str("subject"); got == "" || got != claims["sub"] {
			t.Errorf("subject = %q, want the token's sub %v", got, claims["sub"])
		}
		scopes, _ := r.json["scopes"].([]any)
		if !slices.Contains(scopes, any("orders:read")) {
			t.Errorf("scopes = %v, want orders:read among them", r.json["scopes"])
		}
		if r.str("session_id") != claims["sid"] || r.str("client_id") != "gatehouse" {
			t.Errorf("answer %s, want session %v and the first-party client", r.body, claims["sid"])
		}
	})
	t.Run("no token is 401 with a Bearer challenge", func(t *testing.T) {
		r := call(t, "GET", api.url(), "/orders", nil, "")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("got %d %s, want 401", r.status, r.body)
		}
		if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") || strings.Contains(h, "error=") {
			t.Errorf("WWW-Authenticate = %q, want a Bearer challenge without error", h)
		}
	})
	t.Run("a token without orders:read is 403 insufficient_scope", func(t *testing.T) {
		tok := login(t, gh.url(), "bob", alicePassword)
		r := call(t, "GET", api.url(), "/orders", nil, tok.access)
		if r.status != http.StatusForbidden {
			t.Fatalf("got %d %s, want 403", r.status, r.body)
		}
		if h := r.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_scope"`) {
			t.Errorf(`WWW-Authenticate = %q, want error="insufficient_scope"`, h)
		}
	})
	t.Run("a forged token is 401 invalid_token", func(t *testing.T) {
		tok := login(t, gh.url(), "alice", alicePassword)
		parts := strings.Split(tok.access, ".")
		wantInvalidToken(t, call(t, "GET", api.url(), "/orders", nil, parts[0]+"."+parts[1]+"."+strings.Repeat("A", len(parts[2]))))
	})
	// Last: it changes the server's keys. The API has cached the JWKS by
	// now; the key that signs after the rotation was published in it as the
	// next key, so the API needs no refetch (which jose's
	// createRemoteJWKSet would refuse within its 30 s cooldown).
	t.Run("after a key rotation, tokens of the new and of the retired key are accepted at once", func(t *testing.T) {
		before := login(t, gh.url(), "alice", alicePassword)
		if r := call(t, "GET", api.url(), "/orders", nil, before.access); r.status != http.StatusOK {
			t.Fatalf("before the rotation: %d %s", r.status, r.body)
		}
		published := kids(t, gh.url())
		gatehouse(t, db, alicePassword+"\n", "user", "add", "root", "--password-stdin", "--scope", "gatehouse:admin")
		admin := loginAdmin(t, gh.url(), "root", alicePassword)
		rotateKeys(t, gh.url(), admin.access)
		after := login(t, gh.url(), "alice", alicePassword)
		oldKid, newKid := jwtPart(t, before.access, 0)["kid"], jwtPart(t, after.access, 0)["kid"]
		if oldKid == newKid || !slices.Contains(published, newKid.(string)) {
			t.Fatalf("kid %v after the rotation (before %v), want a different key that the JWKS already published: %v", newKid, oldKid, published)
		}
		for name, tok := range map[string]string{"new key": after.access, "retired key": before.access} {
			if r := call(t, "GET", api.url(), "/orders", nil, tok); r.status != http.StatusOK {
				t.Errorf("token of the %s: %d %s, want 200", name, r.status, r.body)
			}
		}
	})
}

// TestInteropFastAPIExample runs examples/fastapi under uvicorn on a free
// loopback port against a running Gatehouse and calls it with real tokens.
func TestInteropFastAPIExample(t *testing.T) {
	needPython(t, "jwt", "cryptography", "fastapi", "uvicorn")
	gh, db := interopServer(t)
	api := startProc(t, []string{"GATEHOUSE_ISSUER=" + gh.url(), "FASTAPI_ADDR=127.0.0.1:0"},
		systemPython, filepath.Join(repoRoot, "examples", "fastapi", "main.py"))
	wantOrdersAPI(t, gh, db, api)
}

// TestInteropNodeExample runs examples/node (jose's createRemoteJWKSet and
// jwtVerify) against a running Gatehouse and calls it with real tokens.
func TestInteropNodeExample(t *testing.T) {
	needNodeExample(t)
	node, _ := exec.LookPath("node")
	gh, db := interopServer(t)
	api := startProcIn(t, filepath.Join(repoRoot, "examples", "node"),
		[]string{"GATEHOUSE_ISSUER=" + gh.url(), "NODE_API_ADDR=127.0.0.1:0"}, node, "server.js")
	wantOrdersAPI(t, gh, db, api)
}
