package httpapi

import (
	"embed"
	"net/http"
	"net/url"
)

// docsUI is the /docs page: Swagger UI (npm swagger-ui-dist, its licence
// beside it in docsui/, see docsui/README.md), a page and an init script of
// our own, all served from the binary.
//
//go:embed docsui
var docsUI embed.FS

// docsCSP is the Content-Security-Policy of /docs: Swagger UI's script, the
// init script and the style sheet from this origin only (no inline script
// or style, no eval), its icons as data: images, and requests to this
// origin and to the issuer's (Try it out, whose server is the issuer). No
// framing, no forms posted anywhere, no plugins. Unlike the account page's
// it does not require Trusted Types: Swagger UI writes its rendered
// Markdown with innerHTML (sanitised by its DOMPurify).
func docsCSP(issuer string) string {
	connect := "'self'"
	if u, err := url.Parse(issuer); err == nil && u.Scheme != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src " + connect +
		"; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
}

// apiDocs prepares /openapi.json for the routes registered (patterns) and
// the files of /docs.
func (s *server) apiDocs(patterns []string) error {
	var err error
	if s.openapi, err = openAPIFor(s.issuer, s.cookies, patterns); err != nil {
		return err
	}
	s.docs, err = loadAssetsFrom(docsUI, "docsui")
	return err
}

// docsRoutes adds GET /docs and its files.
func (s *server) docsRoutes(mux *routeMux) {
	csp := docsCSP(s.issuer)
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) { s.serveDocsFile(w, r, csp, "docs.html") })
	mux.HandleFunc("GET /docs/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		if name == "docs.html" || name == "README.md" {
			http.NotFound(w, r)
			return
		}
		s.serveDocsFile(w, r, csp, name)
	})
}

// serveDocsFile answers with one file of docsui.
func (s *server) serveDocsFile(w http.ResponseWriter, r *http.Request, csp, name string) {
	serveEmbedded(w, r, s.docs, name, csp)
}
