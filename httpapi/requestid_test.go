package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testserver"
)

// logLines returns the server's JSON log records whose request_id is id.
func logLines(t *testing.T, srv *testserver.Server, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(srv.Logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["request_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

func messages(recs []map[string]any) string {
	var b []string
	for _, r := range recs {
		m, _ := r["msg"].(string)
		if k, ok := r["kind"].(string); ok {
			m += ":" + k
		}
		b = append(b, m)
	}
	return strings.Join(b, ", ")
}

func TestEveryResponseCarriesARequestID(t *testing.T) {
	srv, _ := newMetricsServer(t, testserver.Options{})
	seen := map[string]bool{}
	for _, target := range []string{"/healthz", "/metrics", "/.well-known/jwks.json", "/no/such/route", "/userinfo"} {
		r := srv.Do(t, "GET", target, "", nil, nil)
		id := r.Header.Get("X-Request-ID")
		if len(id) != 22 || seen[id] {
			t.Errorf("GET %s: X-Request-ID %q; want a new 22-character id", target, id)
		}
		seen[id] = true
	}
	r := srv.Do(t, "GET", "/healthz", "", nil, http.Header{"X-Request-ID": {"3f2b8c1e-9d4a-4e57-a1b2-c3d4e5f60718"}})
	if got := r.Header.Get("X-Request-ID"); got != "3f2b8c1e-9d4a-4e57-a1b2-c3d4e5f60718" {
		t.Errorf("a well-formed incoming id came back as %q", got)
	}
}

func TestAHostileIncomingRequestIDIsReplaced(t *testing.T) {
	srv := testserver.New(t, testserver.Options{})
	for name, id := range map[string]string{
		"newline":      "abc\ninjected=1",
		"10 KB":        strings.Repeat("a", 10<<10),
		"65 chars":     strings.Repeat("a", 65),
		"space":        "a b",
		"quote":        `a"b`,
		"non-ASCII":    "réq",
		"control byte": "a\x1bb",
	} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Header["X-Request-Id"] = []string{id}
		w := httptest.NewRecorder()
		srv.Handler.ServeHTTP(w, req)
		if got := w.Header().Get("X-Request-ID"); got == id || len(got) != 22 {
			t.Errorf("%s: answered with X-Request-ID %q; want a new id", name, got)
		}
	}
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("X-Request-ID", strings.Repeat("a", 64))
	w := httptest.NewRecorder()
	srv.Handler.ServeHTTP(w, req)
	if got := w.Header().Get("X-Request-ID"); got != strings.Repeat("a", 64) {
		t.Errorf("a 64-character id came back as %q", got)
	}
}

func TestLogLinesOfARequestCarryItsID(t *testing.T) {
	srv, _ := newMetricsServer(t, testserver.Options{})

	r, _ := srv.TryLogin(t, "alice", "not her password")
	id := r.Header.Get("X-Request-ID")
	if got := messages(logLines(t, srv, id)); !strings.Contains(got, "audit:login.failed") {
		t.Errorf("log lines of the failed login %s: %q", id, got)
	}

	tk := srv.Login(t, "alice", metricsPW)
	srv.Refresh(t, tk.RefreshToken)
	srv.Clock.Advance(time.Minute)
	r, _ = srv.TryRefresh(t, tk.RefreshToken, http.Header{"X-Request-ID": {"reuse-1"}})
	if r.Header.Get("X-Request-ID") != "reuse-1" {
		t.Fatalf("X-Request-ID %q", r.Header.Get("X-Request-ID"))
	}
	got := messages(logLines(t, srv, "reuse-1"))
	for _, want := range []string{"refresh token reused: session revoked", "audit:refresh.reuse"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lines of the reuse: %q; want %q", got, want)
		}
	}
	// Nothing else is logged under these ids.
	if n := len(logLines(t, srv, id)) + len(logLines(t, srv, "reuse-1")); n != 3 {
		t.Errorf("%d lines carry the two ids; want 3:\n%s", n, srv.Logs.String())
	}
}
