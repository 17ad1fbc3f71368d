package guard

import (
	"errors"
	"net/http"
	"strings"
)

// MaxTokenSize is the largest token guard reads, in bytes. Longer tokens are
// refused before any decoding.
const MaxTokenSize = 8 << 10

// Extraction errors. ExtractBearer returns exactly these, unwrapped;
// Middleware answers ErrNoToken with a bare 401 challenge, ErrQueryToken and
// ErrMultipleAuthorization with 400 invalid_request, and ErrMalformedToken
// with 401 invalid_token.
var (
	// ErrNoToken: the request carries no bearer credentials (no
	// Authorization header, or one with another scheme).
	ErrNoToken = errors.New("guard: no bearer token")
	// ErrQueryToken: the request carries an access_token query parameter.
	// Query-string tokens (RFC 6750 §2.3) are never accepted, with or without
	// a header, because URLs end up in logs and Referer headers.
	ErrQueryToken = errors.New("guard: access tokens in the query string are not accepted")
	// ErrMultipleAuthorization: the request has more than one Authorization
	// header, so which credentials it means is ambiguous.
	ErrMultipleAuthorization = errors.New("guard: more than one Authorization header")
	// ErrMalformedToken: a Bearer credential that is empty, longer than
	// MaxTokenSize, or not an RFC 6750 b64token.
	ErrMalformedToken = errors.New("guard: malformed bearer token")
)

// ExtractBearer returns the token of the request's
// "Authorization: Bearer <token>" header (RFC 6750 §2.1). The scheme is
// matched case-insensitively and separated from the token by one or more
// spaces; the token must be a b64token of at most MaxTokenSize bytes.
// A request with an access_token query parameter is refused with
// ErrQueryToken even when it also has a header.
func ExtractBearer(r *http.Request) (string, error) {
	if hasQueryToken(r) {
		return "", ErrQueryToken
	}
	vals := r.Header.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", ErrMultipleAuthorization
	}
	return parseBearer(vals[0])
}

// parseBearer parses an Authorization header value.
func parseBearer(h string) (string, error) {
	const scheme = "Bearer"
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", ErrNoToken
	}
	rest := h[len(scheme):]
	if rest == "" {
		return "", ErrMalformedToken // "Bearer" and nothing else
	}
	if rest[0] != ' ' {
		return "", ErrNoToken // another scheme that starts with "Bearer", e.g. "Bearerx"
	}
	tok := strings.TrimLeft(rest, " ")
	if !validToken(tok) {
		return "", ErrMalformedToken
	}
	return tok, nil
}

// hasQueryToken reports whether the URL carries an access_token parameter.
func hasQueryToken(r *http.Request) bool {
	if r.URL == nil || r.URL.RawQuery == "" {
		return false
	}
	return r.URL.Query().Has("access_token")
}

// cookieToken returns the token in the named cookie, ErrNoToken when there is
// none (or it is empty) and ErrMalformedToken when its value is not a token.
func cookieToken(r *http.Request, name string) (string, error) {
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return "", ErrNoToken
	}
	if !validToken(c.Value) {
		return "", ErrMalformedToken
	}
	return c.Value, nil
}

// validToken reports whether t is an RFC 6750 b64token of at most
// MaxTokenSize bytes: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func validToken(t string) bool {
	if t == "" || len(t) > MaxTokenSize {
		return false
	}
	i := 0
	for ; i < len(t) && b64tokenChar(t[i]); i++ {
	}
	if i == 0 {
		return false
	}
	for ; i < len(t) && t[i] == '='; i++ {
	}
	return i == len(t)
}

func b64tokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '+', '/':
		return true
	}
	return false
}
