package guard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// browserRequest builds a request as a browser would send it to
// http://api.example: method, body of the content type, and the given
// headers ("Name: value").
func browserRequest(method, contentType, body string, headers ...string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, "http://api.example/orders", nil)
	} else {
		r = httptest.NewRequest(method, "http://api.example/orders", strings.NewReader(body))
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		r.Header.Add(name, value)
	}
	return r
}

const (
	sameOrigin  = "Sec-Fetch-Site: same-origin"
	sameSite    = "Sec-Fetch-Site: same-site"
	crossSite   = "Sec-Fetch-Site: cross-site"
	withHeader  = CSRFHeader + ": fetch"
	frontOrigin = "https://app.example"
)

func TestCSRFCheck(t *testing.T) {
	rule, err := NewCSRF(frontOrigin)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  *http.Request
		want error
	}{
		{"a same-origin fetch with the header and JSON passes",
			browserRequest("POST", "application/json", `{}`, sameOrigin, withHeader), nil},
		{"a same-origin fetch with the header and no body passes",
			browserRequest("DELETE", "", "", sameOrigin, withHeader), nil},
		{"a request with neither Sec-Fetch-Site nor Origin (not a browser) passes with the header",
			browserRequest("POST", "application/json", `{}`, withHeader), nil},
		{"an old browser whose Origin matches the Host passes with the header",
			browserRequest("POST", "application/json", `{}`, "Origin: http://api.example", withHeader), nil},
		{"a trusted origin passes with the header",
			browserRequest("POST", "application/json", `{}`, sameSite, "Origin: "+frontOrigin, withHeader), nil},
		{"GET is never checked", browserRequest("GET", "", "", crossSite, "Origin: https://evil.example"), nil},
		{"HEAD is never checked", browserRequest("HEAD", "", "", crossSite), nil},
		{"OPTIONS is never checked", browserRequest("OPTIONS", "", "", crossSite), nil},

		{"a form posted from another site is cross-origin",
			browserRequest("POST", "application/x-www-form-urlencoded", "all=true", crossSite, "Origin: https://evil.example"), ErrCrossOrigin},
		{"a form posted from another site of the same site is cross-origin",
			browserRequest("POST", "application/x-www-form-urlencoded", "all=true", sameSite, "Origin: https://other.api.example"), ErrCrossOrigin},
		{"a cross-site fetch that got the header through is still cross-origin",
			browserRequest("POST", "application/json", `{}`, crossSite, "Origin: https://evil.example", withHeader), ErrCrossOrigin},
		{"an old browser whose Origin is another host is cross-origin",
			browserRequest("POST", "application/json", `{}`, "Origin: https://evil.example", withHeader), ErrCrossOrigin},
		{"a sandboxed page (Origin null) is cross-origin",
			browserRequest("POST", "application/json", `{}`, crossSite, "Origin: null", withHeader), ErrCrossOrigin},
		{"a trusted origin is matched exactly, not by prefix",
			browserRequest("POST", "application/json", `{}`, crossSite, "Origin: "+frontOrigin+".evil.example", withHeader), ErrCrossOrigin},
		{"a trusted origin is matched with its scheme",
			browserRequest("POST", "application/json", `{}`, crossSite, "Origin: http://app.example", withHeader), ErrCrossOrigin},

		{"a same-origin request without the header is refused",
			browserRequest("POST", "application/json", `{}`, sameOrigin), ErrNoCSRFHeader},
		{"an empty header is no header",
			browserRequest("POST", "application/json", `{}`, sameOrigin, CSRFHeader+": "), ErrNoCSRFHeader},
		{"a trusted origin without the header is refused",
			browserRequest("POST", "application/json", `{}`, sameSite, "Origin: "+frontOrigin), ErrNoCSRFHeader},

		{"a urlencoded body cannot change state",
			browserRequest("POST", "application/x-www-form-urlencoded", "a=b", sameOrigin, withHeader), ErrSimpleContentType},
		{"a multipart body cannot change state",
			browserRequest("POST", "multipart/form-data; boundary=x", "--x--", sameOrigin, withHeader), ErrSimpleContentType},
		{"a text/plain body cannot change state",
			browserRequest("PUT", "text/plain;charset=UTF-8", `{"a":1}`, sameOrigin, withHeader), ErrSimpleContentType},
		{"a simple type in capitals is still simple",
			browserRequest("PATCH", "Text/Plain", `{}`, sameOrigin, withHeader), ErrSimpleContentType},
		{"an unreadable content type is refused",
			browserRequest("POST", "text/plain;;", `{}`, sameOrigin, withHeader), ErrSimpleContentType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rule.Check(tt.req)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
			if err != nil && !errors.Is(err, ErrCSRF) {
				t.Errorf("%v does not wrap ErrCSRF", err)
			}
		})
	}
	t.Run("two Content-Type headers are refused", func(t *testing.T) {
		r := browserRequest("POST", "application/json", `{}`, sameOrigin, withHeader, "Content-Type: text/plain")
		if err := rule.Check(r); !errors.Is(err, ErrSimpleContentType) {
			t.Fatalf("Check = %v, want ErrSimpleContentType", err)
		}
	})
	t.Run("a nil rule refuses every state-changing request", func(t *testing.T) {
		var none *CSRF
		if err := none.Check(browserRequest("POST", "application/json", `{}`, sameOrigin, withHeader)); !errors.Is(err, ErrCrossOrigin) {
			t.Fatalf("Check = %v, want ErrCrossOrigin", err)
		}
		if err := none.Check(browserRequest("GET", "", "")); err != nil {
			t.Fatalf("GET: %v, want nil", err)
		}
	})
}

func TestNewCSRFRefusesWhatIsNotAnOrigin(t *testing.T) {
	for _, o := range []string{"", "*", "null", "https://app.example/", "https://app.example/path", "app.example", "https://*.example", "https://app.example?x"} {
		if _, err := NewCSRF(o); err == nil {
			t.Errorf("NewCSRF(%q) accepted", o)
		}
	}
}

func TestCookieModeAppliesTheCSRFRule(t *testing.T) {
	refused := func(desc string) answer {
		return answer{status: http.StatusForbidden, body: `{"error":"invalid_request","error_description":"` + desc + `"}` + "\n"}
	}
	front, err := NewCSRF(frontOrigin)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     []MiddlewareOption
		req      *http.Request
		cookie   bool
		want     answer
		verified bool
	}{
		{name: "a cookie POST from a form of another site is 403 before the token is looked at",
			req:    browserRequest("POST", "application/x-www-form-urlencoded", "a=b", crossSite, "Origin: https://evil.example"),
			cookie: true, want: refused("cross-origin request refused")},
		{name: "a same-origin cookie POST without the header is 403",
			req:    browserRequest("POST", "application/json", `{}`, sameOrigin),
			cookie: true, want: refused("the X-Requested-With header is required with cookie credentials")},
		{name: "a same-origin cookie POST of a form body is 403",
			req:    browserRequest("POST", "application/x-www-form-urlencoded", "a=b", sameOrigin, withHeader),
			cookie: true, want: refused("a form or text/plain body cannot change state with cookie credentials")},
		{name: "a same-origin cookie DELETE with the header reaches the handler",
			req:    browserRequest("DELETE", "", "", sameOrigin, withHeader),
			cookie: true, want: ok("hello user-1"), verified: true},
		{name: "a cookie GET from another site is not checked",
			req:    browserRequest("GET", "", "", crossSite, "Origin: https://evil.example"),
			cookie: true, want: ok("hello user-1"), verified: true},
		{name: "a cookie POST from an origin that WithCSRF trusts reaches the handler",
			opts:   []MiddlewareOption{WithCSRF(front)},
			req:    browserRequest("POST", "application/json", `{}`, sameSite, "Origin: "+frontOrigin, withHeader),
			cookie: true, want: ok("hello user-1"), verified: true},
		{name: "the trusted origin is not trusted without WithCSRF",
			req:    browserRequest("POST", "application/json", `{}`, sameSite, "Origin: "+frontOrigin, withHeader),
			cookie: true, want: refused("cross-origin request refused")},
		{name: "WithCSRF(nil) refuses every cookie POST",
			opts:   []MiddlewareOption{WithCSRF(nil)},
			req:    browserRequest("POST", "application/json", `{}`, sameOrigin, withHeader),
			cookie: true, want: refused("cross-origin request refused")},
		{name: "a bearer header needs no CSRF proof, even from another site",
			req:  browserRequest("POST", "application/x-www-form-urlencoded", "a=b", crossSite, "Origin: https://evil.example", "Authorization: Bearer good.tok.en"),
			want: ok("hello user-1"), verified: true},
		{name: "a bearer header wins over the cookie and needs no CSRF proof",
			req:    browserRequest("POST", "text/plain", "x", crossSite, "Authorization: Bearer good.tok.en"),
			cookie: true, want: ok("hello user-1"), verified: true},
		{name: "optional mode applies the rule to the cookie too",
			opts:   []MiddlewareOption{WithOptional()},
			req:    browserRequest("POST", "application/json", `{}`, crossSite, "Origin: https://evil.example", withHeader),
			cookie: true, want: refused("cross-origin request refused")},
		{name: "a cross-site POST without a cookie is no credentials, not a CSRF refusal",
			req:  browserRequest("POST", "application/json", `{}`, crossSite),
			want: noCredentials("api")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newFake()
			if tt.cookie {
				tt.req.AddCookie(&http.Cookie{Name: AccessCookie, Value: "good.tok.en"})
			}
			opts := append([]MiddlewareOption{WithCookie(AccessCookie)}, tt.opts...)
			rec := serve(Middleware(v, opts...)(echoSubject), tt.req)
			tt.want.check(t, rec)
			if asked := len(v.seen) > 0; asked != tt.verified {
				t.Errorf("verifier asked: %v, want %v", asked, tt.verified)
			}
		})
	}
}

func TestProtectAnswersRefusals403(t *testing.T) {
	rule, _ := NewCSRF()
	reached := false
	h := rule.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	rec := serve(h, browserRequest("POST", "text/plain", "x", crossSite, "Origin: https://evil.example"))
	answer{status: http.StatusForbidden, body: `{"error":"invalid_request","error_description":"cross-origin request refused"}` + "\n"}.check(t, rec)
	if reached {
		t.Error("the handler ran for a refused request")
	}
	serve(h, browserRequest("POST", "application/json", `{}`, sameOrigin, withHeader))
	if !reached {
		t.Error("the handler did not run for a request the rule lets through")
	}
}

// FuzzCSRFCheck feeds the rule arbitrary methods and headers: it never
// panics, never lets a state-changing request through without the CSRF
// header, and never lets one through that the browser marks cross-site
// from an origin it does not trust.
func FuzzCSRFCheck(f *testing.F) {
	f.Add("POST", "same-origin", "", "fetch", "application/json", "{}")
	f.Add("POST", "cross-site", "https://evil.example", "fetch", "application/json", "{}")
	f.Add("DELETE", "", "https://app.example", "x", "", "")
	f.Add("PUT", "same-origin", "", "fetch", "text/plain;;", "x")
	f.Add("PATCH", "same-site", "null", "", "multipart/form-data; boundary=x", "--x--")
	rule, err := NewCSRF("https://app.example")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, site, origin, header, ctype, body string) {
		r := httptest.NewRequest("POST", "http://api.example/x", strings.NewReader(body))
		r.Method = method
		for k, v := range map[string]string{"Sec-Fetch-Site": site, "Origin": origin, CSRFHeader: header, "Content-Type": ctype} {
			if v != "" {
				r.Header[k] = []string{v}
			}
		}
		err := rule.Check(r)
		if err != nil {
			return
		}
		switch method {
		case "GET", "HEAD", "OPTIONS":
			return
		}
		if header == "" {
			t.Fatalf("%s without %s let through", method, CSRFHeader)
		}
		if (site == "cross-site" || site == "same-site") && origin != "https://app.example" {
			t.Fatalf("%s marked %s from %q let through", method, site, origin)
		}
	})
}
