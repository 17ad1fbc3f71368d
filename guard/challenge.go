package guard

import (
	"encoding/json"
	"net/http"
	"strings"
)

// RFC 6750 §3.1 error codes.
const (
	codeInvalidRequest    = "invalid_request"
	codeInvalidToken      = "invalid_token"
	codeInsufficientScope = "insufficient_scope"
)

// DefaultRealm is the realm of the challenges when WithRealm is not given.
const DefaultRealm = "api"

// challenge is one RFC 6750 answer: the status, the WWW-Authenticate
// attributes and the JSON body. code is empty for a request that carried no
// credentials (RFC 6750 §3.1: no error attribute then), and then the body
// has no "error" member either.
type challenge struct {
	status      int
	code        string
	description string
	scope       string // the scope the resource needs; insufficient_scope only
	// noAuthenticate leaves out WWW-Authenticate: the credentials are not
	// what is wrong (a CSRF refusal).
	noAuthenticate bool
}

// write sends c. The description is always one of guard's own fixed texts:
// nothing from the request, and never the token, reaches the answer.
func (c challenge) write(w http.ResponseWriter, realm string) {
	var b strings.Builder
	b.WriteString(`Bearer realm=`)
	b.WriteString(quote(realm))
	if c.code != "" {
		b.WriteString(`, error=`)
		b.WriteString(quote(c.code))
		if c.description != "" {
			b.WriteString(`, error_description=`)
			b.WriteString(quote(c.description))
		}
	}
	if c.scope != "" {
		b.WriteString(`, scope=`)
		b.WriteString(quote(c.scope))
	}
	h := w.Header()
	switch {
	case c.status == http.StatusServiceUnavailable: // not a credentials problem: no challenge
		h.Set("Retry-After", "1")
	case !c.noAuthenticate:
		h.Set("WWW-Authenticate", b.String())
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	body, _ := json.Marshal(struct {
		Error       string `json:"error,omitempty"`
		Description string `json:"error_description,omitempty"`
	}{c.code, c.description})
	w.WriteHeader(c.status)
	_, _ = w.Write(append(body, '\n'))
}

// quote renders s as an RFC 9110 quoted-string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 && c != '\t' || c == 0x7f:
			// Control characters cannot appear in a header; drop them.
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// The answers guard gives, by cause.
var (
	errNoCredentials = challenge{
		status:      http.StatusUnauthorized,
		description: "a bearer token is required",
	}
	errQueryToken = challenge{
		status:      http.StatusBadRequest,
		code:        codeInvalidRequest,
		description: "access tokens in the query string are not accepted",
	}
	errMultipleAuthorization = challenge{
		status:      http.StatusBadRequest,
		code:        codeInvalidRequest,
		description: "more than one Authorization header",
	}
	errInvalidToken = challenge{
		status:      http.StatusUnauthorized,
		code:        codeInvalidToken,
		description: "the access token is invalid",
	}
	errExpiredToken = challenge{
		status:      http.StatusUnauthorized,
		code:        codeInvalidToken,
		description: "the access token expired",
	}
	errRevokedToken = challenge{
		status:      http.StatusUnauthorized,
		code:        codeInvalidToken,
		description: "the access token was revoked",
	}
	errNotFresh = challenge{
		status:      http.StatusUnauthorized,
		code:        codeInvalidToken,
		description: "a fresh login is required",
	}
	errUnavailable = challenge{
		status:      http.StatusServiceUnavailable,
		code:        "temporarily_unavailable",
		description: "the access token could not be checked; try again later",
	}
)
