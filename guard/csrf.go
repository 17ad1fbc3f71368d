package guard

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// CSRFHeader is the request header a browser client sends, with any
// non-empty value, on every state-changing request that a cookie
// authenticates. A page can set it only with fetch or XMLHttpRequest, never
// with a form, and from another origin only after a CORS preflight that
// the server grants.
const CSRFHeader = "X-Requested-With"

// Why CSRF.Check refuses a request. Each wraps ErrCSRF.
var (
	// ErrCSRF is what every refusal of CSRF.Check wraps.
	ErrCSRF = errors.New("guard: cross-site request refused")
	// ErrCrossOrigin: the browser says the request comes from another
	// origin (Sec-Fetch-Site, or an Origin that is not the Host) that is
	// not trusted.
	ErrCrossOrigin = fmt.Errorf("%w: it comes from another origin", ErrCSRF)
	// ErrNoCSRFHeader: the request lacks CSRFHeader.
	ErrNoCSRFHeader = fmt.Errorf("%w: the %s header is required with cookie credentials", ErrCSRF, CSRFHeader)
	// ErrSimpleContentType: the body is of a type an HTML form can send
	// (application/x-www-form-urlencoded, multipart/form-data, text/plain).
	ErrSimpleContentType = fmt.Errorf("%w: a form or text/plain body cannot change state with cookie credentials", ErrCSRF)
)

// CSRF is the rule against cross-site request forgery for requests that a
// browser authenticates with a cookie. A state-changing request (any
// method but GET, HEAD and OPTIONS) passes only if all of these hold:
//
//   - it is not cross-origin, or comes from a trusted origin: Go's
//     http.CrossOriginProtection, which reads Sec-Fetch-Site (every browser
//     since 2023) and otherwise compares Origin with Host;
//   - it carries CSRFHeader, which no form can send and which makes a
//     cross-origin fetch ask a CORS preflight first;
//   - its body, if it has one, is not of a type a form can send.
//
// Any one of them stops a form posted from another site; together they
// stop it even where one is missing (an old browser, a proxy that rewrites
// Host, a CORS grant too wide). Requests without cookies need none of this:
// a bearer token in the Authorization header is never sent by the browser
// on its own. Middleware with WithCookie applies the rule to every request
// whose token came from the cookie; the Gatehouse server applies the same
// rule to its cookie endpoints. Safe methods are never checked: they must
// not change state.
type CSRF struct {
	cop *http.CrossOriginProtection
}

// NewCSRF returns the rule, trusting requests from the given origins
// ("scheme://host[:port]", exactly as browsers send Origin): the
// front-ends on other origins that may change state with the cookie. An
// origin that is not of that form is an error.
func NewCSRF(trustedOrigins ...string) (*CSRF, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if o == "" || o == "null" || strings.HasSuffix(o, "/") || strings.Contains(o, "*") {
			return nil, fmt.Errorf("guard: trusted origin %q: want scheme://host[:port]", o)
		}
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("guard: trusted origin: %w", err)
		}
	}
	return &CSRF{cop: cop}, nil
}

// Check returns nil if the request may go on, and otherwise the reason
// (ErrCrossOrigin, ErrNoCSRFHeader or ErrSimpleContentType). A nil *CSRF
// refuses every state-changing request (fail closed).
func (c *CSRF) Check(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if c == nil || c.cop.Check(r) != nil {
		return ErrCrossOrigin
	}
	if r.Header.Get(CSRFHeader) == "" {
		return ErrNoCSRFHeader
	}
	if hasBody(r) && formContentType(r.Header.Values("Content-Type")) {
		return ErrSimpleContentType
	}
	return nil
}

// Protect runs next only for requests that Check lets through, and answers
// the others 403 with a JSON body saying why (no WWW-Authenticate: the
// credentials are not the problem). It is for cookie endpoints that are not
// behind Middleware, such as a login form's.
func (c *CSRF) Protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := c.Check(r); err != nil {
			csrfChallenge(err).write(w, "")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hasBody reports whether the request announces a body.
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 || len(r.TransferEncoding) > 0
}

// formContentType reports whether the Content-Type is one an HTML form
// can send (the CORS-safelisted request types), or cannot be read; several
// Content-Type headers count as unreadable.
func formContentType(vals []string) bool {
	if len(vals) == 0 {
		return false
	}
	if len(vals) > 1 {
		return true
	}
	mt, _, err := mime.ParseMediaType(vals[0])
	if err != nil {
		return true
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// csrfChallenge is the answer to a refusal of CSRF.Check.
func csrfChallenge(err error) challenge {
	c := challenge{status: http.StatusForbidden, code: codeInvalidRequest, noAuthenticate: true}
	switch {
	case errors.Is(err, ErrNoCSRFHeader):
		c.description = "the " + CSRFHeader + " header is required with cookie credentials"
	case errors.Is(err, ErrSimpleContentType):
		c.description = "a form or text/plain body cannot change state with cookie credentials"
	default:
		c.description = "cross-origin request refused"
	}
	return c
}
