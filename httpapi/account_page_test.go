package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestTheAccountPageIsServedFromTheBinaryUnderAStrictCSP(t *testing.T) {
	f := newFixture(t)
	w := f.do(req{method: "GET", target: "/account"})
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /account: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
		"frame-ancestors 'none'", "form-action 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "http") || strings.Contains(csp, "data:") {
		t.Errorf("CSP %q allows inline code, another host or data: URLs", csp)
	}
	if w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("security headers missing: %v", w.Header())
	}

	// Every asset the page names is served, under the same policy, and
	// none comes from elsewhere.
	page := w.Body.String()
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("found %d asset references in the page", len(refs))
	}
	for _, m := range refs {
		if strings.Contains(m[1], "//") {
			t.Errorf("the page loads %s from another host", m[1])
			continue
		}
		a := f.do(req{method: "GET", target: "/" + m[1]})
		if a.Code != http.StatusOK || a.Header().Get("Content-Security-Policy") != csp || a.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET /%s: %d, CSP %q", m[1], a.Code, a.Header().Get("Content-Security-Policy"))
		}
	}
	for _, icon := range []string{"desktop", "phone", "terminal"} {
		if a := f.do(req{method: "GET", target: "/account/" + icon + ".svg"}); a.Code != http.StatusOK || a.Header().Get("Content-Type") != "image/svg+xml" {
			t.Errorf("icon %s: %d %q", icon, a.Code, a.Header().Get("Content-Type"))
		}
	}
	for _, name := range []string{"account.js", "account.css", "account.html"} {
		body := page
		if name != "account.html" {
			body = f.do(req{method: "GET", target: "/account/" + name}).Body.String()
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "document.write", "<script>", "style="} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

func TestAccountAssetsAreRevalidatedAndOnlyAssets(t *testing.T) {
	f := newFixture(t)
	w := f.do(req{method: "GET", target: "/account/account.js"})
	etag := w.Header().Get("ETag")
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" || etag == "" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	if w := f.do(req{method: "GET", target: "/account/account.js", header: http.Header{"If-None-Match": {etag}}}); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", w.Code)
	}
	for _, target := range []string{"/account/account.html", "/account/nope.js", "/account/../config.go", "/account/", "/account/web"} {
		if w := f.do(req{method: "GET", target: target}); w.Code == http.StatusOK {
			t.Errorf("GET %s: 200", target)
		}
	}
	if w := f.do(req{method: "POST", target: "/account"}); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /account: %d", w.Code)
	}
	// The other routes keep the default policy.
	if csp := f.do(req{method: "GET", target: "/healthz"}).Header().Get("Content-Security-Policy"); strings.Contains(csp, "script-src") {
		t.Errorf("/healthz CSP %q", csp)
	}
}
