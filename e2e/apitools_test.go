package e2e_test

// The API's own tools, checked by other people's code: the OpenAPI
// document by @apidevtools/swagger-parser, the discovery metadata by
// openid-client with its defaults, and /docs by Chromium. The npm packages
// are in testdata/apitools (scripts/interop-deps.sh installs them).

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// needAPITools checks for node and the packages of testdata/apitools.
func needAPITools(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("node")
	for _, pkg := range []string{"openid-client", "@apidevtools/swagger-parser"} {
		if err == nil {
			_, err = os.Stat(filepath.Join(repoRoot, "e2e", "testdata", "apitools", "node_modules", pkg, "package.json"))
		}
	}
	needInterop(t, "node or e2e/testdata/apitools/node_modules (npm ci)", err)
}

// runAPITool runs testdata/apitools/SCRIPT.mjs with args and env, and
// decodes the JSON line it prints into out.
func runAPITool(t *testing.T, env []string, out any, script string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script + ".mjs"}, args...)...)
	cmd.Dir = filepath.Join(repoRoot, "e2e", "testdata", "apitools")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	stdout, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s.mjs: %v\nstdout: %s\nstderr: %s", script, err, stdout, stderr)
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("%s.mjs printed %s: %v", script, stdout, err)
	}
}

func TestOpenAPIDocumentValidatesWithSwaggerParser(t *testing.T) {
	needAPITools(t)
	gh := startGatehouse(t, filepath.Join(t.TempDir(), "gatehouse.db"), "127.0.0.1:0", "--signup")
	var out struct {
		Valid      bool     `json:"valid"`
		Error      string   `json:"error"`
		OpenAPI    string   `json:"openapi"`
		Operations []string `json:"operations"`
	}
	runAPITool(t, nil, &out, "validate", gh.url()+"/openapi.json")
	if !out.Valid || out.OpenAPI != "3.1.0" {
		t.Fatalf("swagger-parser: valid %v, openapi %q: %s", out.Valid, out.OpenAPI, out.Error)
	}
	// What the validator read is what the server serves: every operation,
	// sign-up included (it is on), and the routes a client uses most.
	for _, op := range []string{"POST /token", "POST /revoke", "POST /introspect", "GET /revocations", "POST /signup",
		"GET /.well-known/openid-configuration", "GET /admin/users", "GET /docs"} {
		if !slices.Contains(out.Operations, op) {
			t.Errorf("the validated document lacks %s (it has %d operations)", op, len(out.Operations))
		}
	}
}

// tlsFront puts an HTTPS listener with httptest's certificate in front of
// a Gatehouse started later (set *target to its URL), and returns it with
// the certificate in PEM for NODE_EXTRA_CA_CERTS.
func tlsFront(t *testing.T, target **url.URL) (*httptest.Server, string) {
	t.Helper()
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httputil.NewSingleHostReverseProxy(*target).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return front, ca
}

func TestOpenIDClientDiscoversWithItsDefaults(t *testing.T) {
	needAPITools(t)
	// openid-client requires HTTPS by default; Gatehouse serves plain HTTP
	// behind a TLS front, as in production, with the front's URL as issuer.
	var target *url.URL
	front, ca := tlsFront(t, &target)
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gh := startGatehouse(t, db, "127.0.0.1:0", "--issuer", front.URL)
	target, _ = url.Parse(gh.url())
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read profile")
	id, secret := addClient(t, db, "orders-app")

	var out struct {
		Steps []struct {
			Name  string `json:"name"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"steps"`
		Metadata map[string]any `json:"metadata"`
		Login    *struct {
			TokenType  string `json:"token_type"`
			Scope      string `json:"scope"`
			HasRefresh bool   `json:"hasRefresh"`
		} `json:"login"`
		Refreshed *struct {
			Scope      string `json:"scope"`
			NewRefresh bool   `json:"newRefresh"`
		} `json:"refreshed"`
		Userinfo            map[string]any `json:"userinfo"`
		IntrospectionBefore map[string]any `json:"introspectionBefore"`
		IntrospectionAfter  map[string]any `json:"introspectionAfter"`
		ClientCredentials   *struct {
			TokenType  string `json:"token_type"`
			HasRefresh bool   `json:"hasRefresh"`
		} `json:"clientCredentials"`
	}
	in, _ := json.Marshal(map[string]string{"issuer": front.URL, "clientId": id, "clientSecret": secret, "username": "alice", "password": alicePassword})
	runAPITool(t, []string{"NODE_EXTRA_CA_CERTS=" + ca}, &out, "openid", string(in))

	steps := map[string]string{}
	for _, s := range out.Steps {
		steps[s.Name] = s.Error
		if !s.OK && s.Name != "refresh after revocation" {
			t.Errorf("openid-client %s: %s", s.Name, s.Error)
		}
	}
	t.Run("discovery reads the RFC 8414 document at the OpenID path", func(t *testing.T) {
		if out.Metadata["issuer"] != front.URL || out.Metadata["token_endpoint"] != front.URL+"/token" {
			t.Errorf("metadata %v, want the issuer %s", out.Metadata, front.URL)
		}
	})
	t.Run("password and refresh_token grants", func(t *testing.T) {
		if out.Login == nil || !strings.EqualFold(out.Login.TokenType, "bearer") || out.Login.Scope != "orders:read" || !out.Login.HasRefresh {
			t.Errorf("password grant: %+v", out.Login)
		}
		if out.Refreshed == nil || !out.Refreshed.NewRefresh || out.Refreshed.Scope != "orders:read" {
			t.Errorf("refresh: %+v, want a new refresh token", out.Refreshed)
		}
	})
	t.Run("userinfo", func(t *testing.T) {
		if out.Userinfo["preferred_username"] != "alice" {
			t.Errorf("userinfo %v", out.Userinfo)
		}
	})
	t.Run("introspection reflects the revocation of the session", func(t *testing.T) {
		if out.IntrospectionBefore["active"] != true || out.IntrospectionBefore["username"] != "alice" {
			t.Errorf("before: %v", out.IntrospectionBefore)
		}
		if out.IntrospectionAfter["active"] != false {
			t.Errorf("after revoking the refresh token: %v, want inactive", out.IntrospectionAfter)
		}
		if e := steps["refresh after revocation"]; !strings.Contains(e, "invalid_grant") {
			t.Errorf("refresh with the revoked token: %q, want invalid_grant", e)
		}
	})
	t.Run("client_credentials grant", func(t *testing.T) {
		if out.ClientCredentials == nil || out.ClientCredentials.HasRefresh {
			t.Errorf("client_credentials: %+v, want a token without a refresh token", out.ClientCredentials)
		}
	})
}

func TestDocsPageRendersTheDocumentAndTriesItOut(t *testing.T) {
	needBrowser(t)
	// The default access-token lifetime: the token given to Authorize
	// must outlive a slow browser.
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gh := startGatehouse(t, db, "127.0.0.1:0", "--dev-cookies")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
	tok := login(t, gh.url(), "alice", alicePassword)
	var served struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	resp, err := http.Get(gh.url() + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&served)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, item := range served.Paths {
		want += len(item) // every member of these path items is an operation
	}

	shots := t.TempDir()
	var out struct {
		Title            string   `json:"title"`
		Operations       []string `json:"operations"`
		Requests         []string `json:"requests"`
		CSPViolations    []string `json:"cspViolations"`
		TryAuthorization string   `json:"tryAuthorization"`
		TryStatus        int      `json:"tryStatus"`
		TryBody          string   `json:"tryBody"`
		ShownStatus      string   `json:"shownStatus"`
		Errors           []string `json:"errors"`
	}
	runBrowser(t, "docs", map[string]string{"base": gh.url(), "token": tok.access, "shots": shots}, &out)

	t.Run("the page shows every operation of the document", func(t *testing.T) {
		if !strings.HasPrefix(out.Title, "Gatehouse") || len(out.Operations) != want {
			t.Errorf("title %q, %d operations shown; want Gatehouse and the document's %d", out.Title, len(out.Operations), want)
		}
		for _, op := range []string{"POST /token", "GET /userinfo", "GET /admin/users"} {
			if !slices.Contains(out.Operations, op) {
				t.Errorf("%s is not shown", op)
			}
		}
	})
	t.Run("everything comes from the server, within its Content-Security-Policy", func(t *testing.T) {
		for _, u := range out.Requests {
			if !strings.HasPrefix(u, gh.url()+"/") && !strings.HasPrefix(u, "data:") {
				t.Errorf("the page requested %s", u)
			}
		}
		if len(out.CSPViolations) > 0 || len(out.Errors) > 0 {
			t.Errorf("CSP violations %v, page errors %v", out.CSPViolations, out.Errors)
		}
	})
	t.Run("Try it out on GET /userinfo sends the bearer token and shows 200", func(t *testing.T) {
		if out.TryAuthorization != "Bearer "+tok.access {
			t.Errorf("Authorization %q, want the token given to Authorize", out.TryAuthorization)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(out.TryBody), &body); err != nil || out.TryStatus != http.StatusOK || body["preferred_username"] != "alice" {
			t.Errorf("GET /userinfo: %d %s", out.TryStatus, out.TryBody)
		}
		if out.ShownStatus != "200" {
			t.Errorf("the page shows status %q", out.ShownStatus)
		}
	})
	keepScreenshots(t, shots, "docs.png", "docs-try-userinfo.png")
}
