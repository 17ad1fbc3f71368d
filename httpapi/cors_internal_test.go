package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCORS is what the CORS layer adds to every request: the handler
// alone (the baseline), behind the layer on a route without CORS, on a
// CORS route from a listed origin, and a preflight answered by the layer.
func BenchmarkCORS(b *testing.B) {
	p, err := newCORS([]string{"https://app.example"})
	if err != nil {
		b.Fatal(err)
	}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	wrapped := p.wrap(noop)
	plain := httptest.NewRequest("GET", "/healthz", nil)
	listed := httptest.NewRequest("POST", "/token", nil)
	listed.Header.Set("Origin", "https://app.example")
	pre := httptest.NewRequest("OPTIONS", "/token", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	for _, c := range []struct {
		name string
		h    http.Handler
		r    *http.Request
	}{
		{"baseline-handler-alone", noop, plain},
		{"route-without-CORS", wrapped, plain},
		{"CORS-route-listed-origin", wrapped, listed},
		{"preflight", wrapped, pre},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), c.r)
			}
		})
	}
}
