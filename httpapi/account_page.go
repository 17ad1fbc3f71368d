package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// web holds the account page and its assets, served from the binary: the
// page loads nothing from anywhere else.
//
//go:embed web
var web embed.FS

// accountCSP is the Content-Security-Policy of the account page: scripts,
// styles, images and requests from this origin only, no inline script or
// style, no plugins, no framing, no form posted anywhere (the page's forms
// are sent by its script), and Trusted Types, so no script can turn a
// string into HTML. The other routes keep the stricter default of secure.
const accountCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// loadAssets reads the embedded files once.
func loadAssets() (map[string]asset, error) { return loadAssetsFrom(web, "web") }

// loadAssetsFrom reads the files under dir of fsys, by base name.
func loadAssetsFrom(fsys embed.FS, dir string) (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fsys.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path.Base(p)] = asset{body: b, ctype: contentType(p), etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	return out, err
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".txt", ".md", "":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// handleAccountPage is GET /account.
func (s *server) handleAccountPage(w http.ResponseWriter, r *http.Request) {
	s.serveAsset(w, r, "account.html")
}

// handleAccountAsset is GET /account/{asset}: the page's script, style
// sheet and images. The page itself is not an asset.
func (s *server) handleAccountAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("asset")
	if strings.HasSuffix(name, ".html") {
		http.NotFound(w, r)
		return
	}
	s.serveAsset(w, r, name)
}

// serveAsset answers with a file of the account page.
func (s *server) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	serveEmbedded(w, r, s.assets, name, accountCSP)
}

// serveEmbedded answers with the embedded file name of files under the
// Content-Security-Policy csp, revalidated on every use (no-cache with an
// ETag), so a new binary's page is never mixed with an old script.
func serveEmbedded(w http.ResponseWriter, r *http.Request, files map[string]asset, name, csp string) {
	a, ok := files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
