package httpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/session"
)

func TestMetadataListsEveryEndpoint(t *testing.T) {
	f := newFixture(t)
	w := f.do(req{method: "GET", target: "/.well-known/oauth-authorization-server"})
	var md map[string]any
	decode(t, w, &md)
	want := map[string]string{
		"issuer":                 issuer,
		"token_endpoint":         issuer + "/token",
		"revocation_endpoint":    issuer + "/revoke",
		"introspection_endpoint": issuer + "/introspect",
		"jwks_uri":               issuer + "/.well-known/jwks.json",
	}
	for k, v := range want {
		if md[k] != v {
			t.Errorf("%s = %v, want %s", k, md[k], v)
		}
	}
	if rt, ok := md["response_types_supported"].([]any); !ok || len(rt) != 0 {
		t.Errorf("response_types_supported = %v, want []", md["response_types_supported"])
	}
	if gt, _ := json.Marshal(md["grant_types_supported"]); string(gt) != `["password","refresh_token","client_credentials"]` {
		t.Errorf("grant_types_supported = %s", gt)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestMetadataIsServedWhereOpenIDClientsLookToo(t *testing.T) {
	f := newFixture(t)
	rfc8414 := f.do(req{method: "GET", target: "/.well-known/oauth-authorization-server"})
	oidc := f.do(req{method: "GET", target: "/.well-known/openid-configuration"})
	if oidc.Code != http.StatusOK || oidc.Body.String() != rfc8414.Body.String() {
		t.Fatalf("/.well-known/openid-configuration: %d %s\nwant the RFC 8414 document: %s", oidc.Code, oidc.Body, rfc8414.Body)
	}
	for _, h := range []string{"Content-Type", "Cache-Control"} {
		if oidc.Header().Get(h) != rfc8414.Header().Get(h) {
			t.Errorf("%s %q, want %q as on the RFC 8414 path", h, oidc.Header().Get(h), rfc8414.Header().Get(h))
		}
	}
}

func TestMetadataDocumentMatchesItsGoldenFile(t *testing.T) {
	f := newFixture(t)
	w := f.do(req{method: "GET", target: "/.well-known/oauth-authorization-server"})
	var got bytes.Buffer
	if err := json.Indent(&got, w.Body.Bytes(), "", "  "); err != nil {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	got.WriteByte('\n')
	golden := filepath.Join("testdata", "metadata.golden.json")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Fatalf("metadata differs from %s (go test -run %s -update to accept):\n%s", golden, t.Name(), got.String())
	}
}

func TestJWKSPublishesTheKeySet(t *testing.T) {
	f := newFixture(t)
	w := f.do(req{method: "GET", target: "/.well-known/jwks.json"})
	want, err := f.keys.KeySet().JWKS()
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || w.Body.String() != string(want) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control %q", cc)
	}
	if strings.Contains(w.Body.String(), `"d"`) {
		t.Error("the JWKS carries a private member")
	}
	// The cache lifetime is the stored policy's, the one every replica
	// sends and that a next key waits for.
	maxAge := 90 * time.Second
	if _, err := f.keys.ChangePolicy(f.ctx, session.KeyPolicyChange{JWKSMaxAge: &maxAge}, "test"); err != nil {
		t.Fatal(err)
	}
	w = f.do(req{method: "GET", target: "/.well-known/jwks.json"})
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=90" {
		t.Errorf("Cache-Control %q after the policy changed, want max-age=90", cc)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if w := f.do(req{method: "GET", target: p}); w.Code != 200 {
			t.Errorf("%s: %d", p, w.Code)
		}
	}
	f.store.Close()
	f.clock.Advance(time.Second) // past the second a readiness answer is reused
	if w := f.do(req{method: "GET", target: "/readyz"}); w.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d", w.Code)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t)
	for _, r := range []req{
		{method: "GET", target: "/healthz"},
		{method: "GET", target: "/nowhere"},
		{method: "GET", target: "/token"},
		{method: "POST", target: "/token", body: "grant_type=x"},
		{method: "GET", target: "/userinfo"},
		{method: "GET", target: "/.well-known/jwks.json"},
	} {
		w := f.do(r)
		for k, v := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s: %s = %q", r.method, r.target, k, got)
			}
		}
	}
}

func TestWrongMethodsAre405WithAllow(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ method, target, allow string }{
		{"GET", "/token", "POST"},
		{"PUT", "/token", "POST"},
		{"GET", "/revoke", "POST"},
		{"GET", "/introspect", "POST"},
		{"POST", "/userinfo", "GET, HEAD"},
		{"POST", "/.well-known/jwks.json", "GET, HEAD"},
		{"POST", "/sessions/x", "DELETE"},
	} {
		w := f.do(req{method: tc.method, target: tc.target})
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 %q", tc.method, tc.target, w.Code, w.Header().Get("Allow"), tc.allow)
		}
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	f := newFixture(t)
	f.do(req{method: "GET", target: "/healthz"})
	f.do(req{method: "GET", target: "/no/such/path/with/a/long/name"})
	w := f.do(req{method: "GET", target: "/metrics"})
	body := w.Body.String()
	for _, want := range []string{
		`gatehouse_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`gatehouse_http_requests_total{code="404",method="other",route="unmatched"} 1`,
		`gatehouse_http_request_duration_seconds_bucket`,
		`gatehouse_login_throttle_local_fallback 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "long/name") {
		t.Error("an unmatched path became a label")
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	if _, err := httpapi.New(httpapi.Config{}); err == nil {
		t.Fatal("New accepted an empty Config")
	}
}
