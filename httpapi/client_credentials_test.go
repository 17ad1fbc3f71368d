package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/clients"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/ratelimit"
)

// machine registers a confidential client with scopes through the client
// service, as the command line and the admin API do, and returns its secret.
func machine(t *testing.T, s *testserver.Server, id string, scopes ...string) string {
	t.Helper()
	_, secret, err := s.Clients.Create(s.Ctx, clients.NewClient{ID: id, Scopes: scopes, Audience: []string{"https://orders.example"}}, testActor)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestGoOAuth2ClientCredentialsGetsAClientsOwnToken(t *testing.T) {
	s := testserver.New(t, testserver.Options{Throttle: &testserver.NoLimits})
	secret := machine(t, s, "billing-worker", "orders:read", "orders:write")
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams, oauth2.AuthStyleAutoDetect} {
		conf := &clientcredentials.Config{
			ClientID: "billing-worker", ClientSecret: secret, TokenURL: s.URL + "/token",
			Scopes: []string{"orders:read"}, AuthStyle: style,
		}
		tok, err := conf.Token(ctx)
		if err != nil {
			t.Fatalf("auth style %d: %v", style, err)
		}
		if tok.RefreshToken != "" || !strings.EqualFold(tok.TokenType, "Bearer") || tok.Extra("scope") != "orders:read" {
			t.Fatalf("token %+v (scope %v): want a Bearer token with no refresh token and the asked scope", tok, tok.Extra("scope"))
		}
		c, err := s.Sessions.Check(s.Ctx, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if c.Claims.Subject != "billing-worker" || c.Claims.ClientID != "billing-worker" || c.Claims.SessionID != "" ||
			c.Claims.Audience[0] != "https://orders.example" {
			t.Errorf("claims %+v", c.Claims)
		}
	}
	// A wrong secret is the oauth2 library's RetrieveError, invalid_client.
	bad := &clientcredentials.Config{ClientID: "billing-worker", ClientSecret: "wrong", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInHeader}
	_, err := bad.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %v, want a 401 invalid_client", err)
	}
	// Its token source calls an API (here /introspect, which takes the
	// client's own credentials) with the token.
	src := (&clientcredentials.Config{ClientID: "billing-worker", ClientSecret: secret, TokenURL: s.URL + "/token"}).TokenSource(ctx)
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	r := s.PostForm(t, "/introspect", testserver.Form("token", tok.AccessToken), basicHeader("billing-worker", secret))
	var in map[string]any
	r.Decode(t, &in)
	if r.Status != 200 || in["active"] != true || in["sub"] != "billing-worker" || in["sid"] != nil || in["username"] != nil ||
		in["scope"] != "orders:read orders:write" {
		t.Fatalf("introspection of the client's token: %s", r)
	}
}

func basicHeader(id, secret string) http.Header { return basic(id, secret) }

// testActor is the admin of the tests' changes, in the audit log.
var testActor = audit.Actor{By: "a test"}

func TestClientCredentialsRefusals(t *testing.T) {
	f := newFixture(t)
	secret := machine(t, f.srv, "svc", "orders:read")
	f.addClient("spa", "")
	cases := []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"unknown client", req{body: form("grant_type", "client_credentials"), header: basic("nobody", "x")}, 401, "invalid_client"},
		{"wrong secret", req{body: form("grant_type", "client_credentials"), header: basic("svc", secret+"x")}, 401, "invalid_client"},
		{"no secret", req{body: form("grant_type", "client_credentials", "client_id", "svc")}, 401, "invalid_client"},
		{"a public client", req{body: form("grant_type", "client_credentials", "client_id", "spa")}, 401, "invalid_client"},
		{"no client at all", req{body: form("grant_type", "client_credentials")}, 401, "invalid_client"},
		{"a scope outside the client's", req{body: form("grant_type", "client_credentials", "scope", "orders:write"), header: basic("svc", secret)}, 400, "invalid_scope"},
		{"the admin scope", req{body: form("grant_type", "client_credentials", "scope", gatehouse.AdminScope), header: basic("svc", secret)}, 400, "invalid_scope"},
		{"a malformed scope", req{body: form("grant_type", "client_credentials", "scope", "a  b"), header: basic("svc", secret)}, 400, "invalid_scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.method, tc.r.target = "POST", "/token"
			w := f.do(tc.r)
			if w.Code != tc.status || oauthErr(t, w) != tc.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			checkNoStore(t, w)
		})
	}
	// Nothing was recorded for the client: no token was handed out.
	c, _ := f.store.ClientByID(f.ctx, "svc")
	if !c.AccessExpiresAt.IsZero() {
		t.Errorf("a refused grant recorded a token expiring at %v", c.AccessExpiresAt)
	}
	w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "client_credentials"), header: basic("svc", secret)})
	var tk tokens
	decode(t, w, &tk)
	if w.Code != 200 || tk.RefreshToken != "" || tk.Scope != "orders:read" || strings.Contains(w.Body.String(), "refresh_token") {
		t.Fatalf("%d %s, want a token without a refresh token", w.Code, w.Body)
	}
}

func TestAClientsOwnTokenIsRefusedByTheUserRoutes(t *testing.T) {
	f := newFixture(t)
	secret := machine(t, f.srv, "svc", "orders:read", gatehouse.AdminScope)
	w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "client_credentials"), header: basic("svc", secret)})
	var tk tokens
	decode(t, w, &tk)
	for _, route := range []struct{ method, target string }{
		{"GET", "/userinfo"}, {"GET", "/sessions"}, {"POST", "/logout"}, {"DELETE", "/sessions/x"}, {"GET", "/admin/users"},
	} {
		w := f.bearer(route.method, route.target, tk.AccessToken)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s %s with a client's own token: %d %q", route.method, route.target, w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestRotatingOrDeletingAClientEndsItsTokensAtGatehouseAndInTheFeed(t *testing.T) {
	f := newFixture(t)
	secret := machine(t, f.srv, "svc", "orders:read")
	feedSecret := machine(t, f.srv, "feed-reader")
	grant := func(sec string) string {
		w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "client_credentials"), header: basic("svc", sec)})
		var tk tokens
		decode(t, w, &tk)
		if w.Code != 200 {
			t.Fatalf("grant: %d %s", w.Code, w.Body)
		}
		return tk.AccessToken
	}
	active := func(tok string) bool {
		w := f.do(req{method: "POST", target: "/introspect", body: form("token", tok), header: basic("feed-reader", feedSecret)})
		var in struct{ Active bool }
		decode(t, w, &in)
		return in.Active
	}
	old := grant(secret)
	if !active(old) {
		t.Fatal("a fresh client token is inactive")
	}
	fresh, err := f.srv.Clients.RotateSecret(f.ctx, "svc", testActor)
	if err != nil {
		t.Fatal(err)
	}
	if active(old) {
		t.Error("a token of the old secret is active after the rotation")
	}
	if w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "client_credentials"), header: basic("svc", secret)}); w.Code != 401 {
		t.Errorf("the old secret after rotation: %d", w.Code)
	}
	f.clock.Advance(time.Second) // the new epoch is up to a second ahead
	tok := grant(fresh)
	if !active(tok) {
		t.Fatal("a token of the new secret is inactive")
	}
	w := f.do(req{method: "GET", target: "/revocations", header: basic("feed-reader", feedSecret)})
	if !strings.Contains(w.Body.String(), `"kind":"user","value":"svc"`) {
		t.Errorf("the feed has no entry for the client's tokens: %s", w.Body)
	}
	if _, err := f.srv.Clients.Delete(f.ctx, "svc", testActor); err != nil {
		t.Fatal(err)
	}
	if active(tok) {
		t.Error("a token of a deleted client is active")
	}
}

func TestAClientsScopesBoundItsUsersTokens(t *testing.T) {
	f, alice, _ := tokenFixture(t) // alice has orders:read and orders:write
	if _, _, err := f.srv.Clients.Create(f.ctx, clients.NewClient{ID: "reader", Public: true, Scopes: []string{"orders:read"}}, testActor); err != nil {
		t.Fatal(err)
	}
	tk := f.login("alice", alicePW, "client_id", "reader")
	if tk.Scope != "orders:read" {
		t.Fatalf("default scope through reader = %q, want orders:read", tk.Scope)
	}
	before := f.sessionCount(alice.ID)
	w := f.postForm("/token", form("grant_type", "password", "username", "alice", "password", alicePW, "client_id", "reader", "scope", "orders:write"))
	if w.Code != 400 || oauthErr(t, w) != "invalid_scope" {
		t.Fatalf("orders:write through reader: %d %s", w.Code, w.Body)
	}
	w = f.postForm("/token", form("grant_type", "refresh_token", "refresh_token", tk.RefreshToken, "client_id", "reader", "scope", "orders:write"))
	if w.Code != 400 || oauthErr(t, w) != "invalid_scope" {
		t.Fatalf("refresh asking orders:write through reader: %d %s", w.Code, w.Body)
	}
	if n := f.sessionCount(alice.ID); n != before {
		t.Errorf("refused requests changed the sessions: %d, want %d", n, before)
	}
}

func TestClientSecretGuessingIsThrottledOnEveryClientAuthenticatedEndpoint(t *testing.T) {
	cfg := ratelimit.Config{PairFree: 2, AccountFree: 1 << 20, IPFree: 1 << 20, GlobalPerSecond: -1}
	s := testserver.New(t, testserver.Options{Throttle: &cfg})
	machine(t, s, "svc")
	saw429 := map[string]bool{}
	for _, target := range []string{"/token", "/introspect", "/revoke"} {
		for range 6 {
			r := s.PostForm(t, target, testserver.Form("grant_type", "client_credentials", "token", "x"), basicHeader("svc", "wrong"))
			if r.Status == http.StatusTooManyRequests {
				if r.Header.Get("Retry-After") == "" || r.OAuthError() != "too_many_requests" {
					t.Fatalf("%s: %s without Retry-After", target, r)
				}
				saw429[target] = true
				break
			}
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("%s: %s", target, r)
			}
		}
	}
	if !saw429["/token"] || !saw429["/introspect"] || !saw429["/revoke"] {
		t.Fatalf("throttled on %v; want every client-authenticated endpoint", saw429)
	}
}
