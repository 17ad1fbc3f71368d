package httpapi

import "net/http"

// routeMux is the server's ServeMux, remembering every pattern registered
// on it ("METHOD /path"): the OpenAPI document is held to that list, both
// ways (openapi_test.go), and serves only the routes this server has.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

// Handle registers h for pattern and records the pattern.
func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

// HandleFunc registers fn for pattern and records the pattern.
func (m *routeMux) HandleFunc(pattern string, fn func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(fn))
}

// routedHandler is the handler New returns, with the patterns of its
// routes (read by the tests through export_test.go).
type routedHandler struct {
	http.Handler
	patterns []string
}
