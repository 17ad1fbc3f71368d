package e2e_test

// The migration from the FastAPI tutorial, played end to end: a Python
// script writes the app's users (passlib bcrypt hashes, a role column) to
// JSON Lines, `gatehouse user import` takes them, each user logs in with
// the old password, the stored hash is argon2id afterwards, and the FastAPI
// example reads the role from the token where the tutorial's own
// create_access_token put "user_role". Then a service of the app gets a
// token of its own with golang.org/x/oauth2/clientcredentials.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"
)

// fastAPIUsers are the users of the app being migrated: name, password, role.
var fastAPIUsers = [][3]string{
	{"johndoe", "secret of john 1", "admin"},
	{"alice", "alice in wonderland", "user"},
	{"Bob.Smith", "bob's old password", "user"},
}

func TestMigrationFromFastAPI(t *testing.T) {
	needPython(t, "passlib", "bcrypt", "jwt", "cryptography", "fastapi", "uvicorn", "requests_oauthlib")
	dir := t.TempDir()
	export := filepath.Join(dir, "users.jsonl")
	args := []string{filepath.Join("testdata", "migration", "export_users.py"), export}
	for _, u := range fastAPIUsers {
		args = append(args, strings.Join(u[:], ":"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	py := exec.CommandContext(ctx, systemPython, args...)
	py.Stderr = &stderr
	if err := py.Run(); err != nil {
		t.Fatalf("export_users.py: %v\n%s", err, stderr.String())
	}

	db := filepath.Join(dir, "gatehouse.db")
	out := gatehouse(t, db, "", "user", "import", export, "--dry-run")
	if !strings.Contains(out, "3 user(s) would be created") {
		t.Fatalf("dry run: %s", out)
	}
	out = gatehouse(t, db, "", "user", "import", export)
	if !strings.Contains(out, "3 user(s) created") {
		t.Fatalf("import: %s", out)
	}
	// Importing again is refused per line, and writes nothing.
	if _, errOut, err := runGatehouse(t, db, "", "user", "import", export); err == nil ||
		!strings.Contains(errOut, "line 1") || !strings.Contains(errOut, "--update") {
		t.Fatalf("a second import: %v\n%s", err, errOut)
	}
	for _, u := range fastAPIUsers {
		if scheme := userShow(t, db, u[0])["password_hash_scheme"]; scheme != "bcrypt" {
			t.Fatalf("%s's stored hash is %v before any login, want passlib's bcrypt as imported", u[0], scheme)
		}
	}

	gh := startGatehouse(t, db, "127.0.0.1:0")
	api := startProc(t, []string{"GATEHOUSE_ISSUER=" + gh.url(), "FASTAPI_ADDR=127.0.0.1:0"},
		systemPython, filepath.Join(repoRoot, "examples", "fastapi", "main.py"))

	for _, u := range fastAPIUsers {
		name, pw, role := u[0], u[1], u[2]
		t.Run(name+" logs in with the old password and the API reads the role", func(t *testing.T) {
			wrong := call(t, "POST", gh.url(), "/token", url.Values{"grant_type": {"password"}, "username": {name}, "password": {pw + "x"}}, "")
			wantOAuthError(t, wrong, http.StatusBadRequest, "invalid_grant")
			tok := login(t, gh.url(), name, pw)
			if got := jwtPart(t, tok.access, 1)["role"]; got != role {
				t.Errorf("token role = %v, want %s", got, role)
			}
			if scheme := userShow(t, db, name)["password_hash_scheme"]; scheme != "argon2id" {
				t.Errorf("stored hash after the login: %v, want argon2id", scheme)
			}
			r := call(t, "GET", api.url(), "/orders", nil, tok.access)
			if r.status != http.StatusOK || r.str("role") != role {
				t.Fatalf("GET /orders: %d %s, want role %s", r.status, r.body, role)
			}
			want := http.StatusForbidden
			if role == "admin" {
				want = http.StatusOK
			}
			if r := call(t, "GET", api.url(), "/reports", nil, tok.access); r.status != want {
				t.Errorf("GET /reports as %s: %d %s, want %d", role, r.status, r.body, want)
			}
			// The old password still works after the rehash.
			login(t, gh.url(), name, pw)
		})
	}

	t.Run("a role change reaches the next refresh", func(t *testing.T) {
		tok := login(t, gh.url(), "alice", "alice in wonderland")
		gatehouse(t, db, "", "user", "set", "alice", "--claim", "role=admin")
		r := refresh(t, gh.url(), tok.refresh)
		next := wantTokens(t, r)
		if got := call(t, "GET", api.url(), "/reports", nil, next.access); got.status != http.StatusOK {
			t.Fatalf("GET /reports after the role change and a refresh: %d %s", got.status, got.body)
		}
	})

	t.Run("a service gets its own token with x/oauth2/clientcredentials", func(t *testing.T) {
		out := gatehouse(t, db, "", "client", "add", "Reports job", "--client-id", "reports-job", "--scope", "orders:read")
		var secret string
		for line := range strings.SplitSeq(out, "\n") {
			if v, ok := strings.CutPrefix(line, "client_secret:"); ok {
				secret = strings.TrimSpace(v)
			}
		}
		conf := &clientcredentials.Config{ClientID: "reports-job", ClientSecret: secret, TokenURL: gh.url() + "/token"}
		tok, err := conf.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		claims := jwtPart(t, tok.AccessToken, 1)
		if claims["sub"] != "reports-job" || claims["sid"] != nil || tok.RefreshToken != "" {
			t.Fatalf("claims %v, refresh token %q; want sub = client_id, no session, no refresh token", claims, tok.RefreshToken)
		}
		r := call(t, "GET", api.url(), "/orders", nil, tok.AccessToken)
		if r.status != http.StatusOK || r.str("subject") != "reports-job" || r.json["role"] != nil {
			t.Fatalf("GET /orders with the service's token: %d %s", r.status, r.body)
		}

		// The Python service of docs/migrating-from-fastapi.md, step 5.
		secretFile := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
		res := runPython(t, "", nil, "requests_oauthlib_client_credentials.py", gh.url(), "reports-job", secretFile, api.url()+"/orders")
		token, _ := res["token"].(map[string]any)
		answer, _ := res["api"].(map[string]any)
		body, _ := answer["body"].(map[string]any)
		if token["refresh_token"] != nil || answer["status"] != 200.0 || body["subject"] != "reports-job" {
			t.Fatalf("requests-oauthlib client_credentials: %v", res)
		}
	})
}

// userShow is `gatehouse user show NAME` decoded.
func userShow(t *testing.T, db, name string) map[string]any {
	t.Helper()
	var u map[string]any
	if err := json.Unmarshal([]byte(gatehouse(t, db, "", "user", "show", name)), &u); err != nil {
		t.Fatal(err)
	}
	return u
}
