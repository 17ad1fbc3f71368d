package e2e_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGoAPIExample runs examples/goapi against a running Gatehouse and calls
// it with real tokens.
func TestGoAPIExample(t *testing.T) {
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gh := startGatehouse(t, db, "127.0.0.1:0")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "bob", "--password-stdin", "--scope", "profile")

	api := startProc(t, []string{"GATEHOUSE_ISSUER=" + gh.url(), "GOAPI_ADDR=127.0.0.1:0"}, goapiBin)

	t.Run("a token with orders:read gets the orders and its own claims", func(t *testing.T) {
		tok := login(t, gh.url(), "alice", alicePassword)
		sub := userinfo(t, gh.url(), tok.access).str("sub")
		r := call(t, "GET", api.url(), "/orders", nil, tok.access)
		if r.status != http.StatusOK {
			t.Fatalf("GET /orders: %d %s", r.status, r.body)
		}
		if got := r.str("subject"); got == "" || got != sub {
			t.Errorf("subject = %q, want the token's sub %q", got, sub)
		}
		scopes, _ := r.json["scopes"].([]any)
		if !slices.Contains(scopes, any("orders:read")) {
			t.Errorf("scopes = %v, want orders:read among them", r.json["scopes"])
		}
		if r.str("session_id") == "" || r.str("client_id") != "gatehouse" {
			t.Errorf("claims = %s, want a session id and the first-party client", r.body)
		}
	})

	t.Run("no token is 401 without an error attribute", func(t *testing.T) {
		r := call(t, "GET", api.url(), "/orders", nil, "")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("got %d %s, want 401", r.status, r.body)
		}
		h := r.header.Get("WWW-Authenticate")
		if !strings.HasPrefix(h, "Bearer") || strings.Contains(h, "error=") {
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
		forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
		wantInvalidToken(t, call(t, "GET", api.url(), "/orders", nil, forged))
	})
}
