package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLogHandlerAddsTheIDOnlyWithARequestsContext(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "x").WithGroup("g")
	h := withRequestID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "inside", "k", "v")
	}))
	log.Info("outside")
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(RequestIDHeader, "abc")
	h.ServeHTTP(httptest.NewRecorder(), req)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log: %s", buf.String())
	}
	var outside, inside map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &outside); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &inside); err != nil {
		t.Fatal(err)
	}
	if _, ok := outside["request_id"]; ok {
		t.Errorf("a line without a request's context carries an id: %s", lines[0])
	}
	// Under WithGroup the id lands in the group, as every attribute of the record does.
	g, _ := inside["g"].(map[string]any)
	if inside["component"] != "x" || g["request_id"] != "abc" || g["k"] != "v" {
		t.Errorf("line inside the request: %s", lines[1])
	}
}
