package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// maxBearer caps an access token, checked before any decoding.
const maxBearer = 8 << 10

// bearerError is an RFC 6750 §3 answer. An empty code is the bare
// challenge for a request without credentials.
type bearerError struct {
	Code        string
	Description string
	Status      int
	Scope       string // for insufficient_scope
}

func (e *bearerError) Error() string { return "bearer: " + e.Code }

var (
	errNoToken      = &bearerError{Status: http.StatusUnauthorized}
	errBadToken     = &bearerError{Code: "invalid_token", Description: "the access token is invalid, expired or revoked", Status: http.StatusUnauthorized}
	errBearerRepeat = &bearerError{Code: "invalid_request", Description: "more than one access token", Status: http.StatusBadRequest}
)

// writeBearer writes the RFC 6750 challenge and, for an error, its JSON body.
func writeBearer(w http.ResponseWriter, e *bearerError) {
	ch := `Bearer realm="gatehouse"`
	if e.Code != "" {
		ch += `, error="` + e.Code + `"`
		if e.Description != "" {
			ch += `, error_description="` + e.Description + `"`
		}
		if e.Scope != "" {
			ch += `, scope="` + e.Scope + `"`
		}
	}
	w.Header().Set("WWW-Authenticate", ch)
	noStore(w)
	if e.Code == "" {
		w.WriteHeader(e.Status)
		return
	}
	writeJSON(w, e.Status, errorBody{Error: e.Code, Description: e.Description})
}

// bearerToken extracts the access token of a request: the Authorization
// header (scheme case-insensitive) or the access_token query parameter
// (RFC 6750 §2.3), never both. Another scheme counts as no token.
func bearerToken(r *http.Request) (string, *bearerError) {
	var tok string
	found := false
	switch hs := r.Header.Values("Authorization"); len(hs) {
	case 0:
	case 1:
		scheme, rest, _ := strings.Cut(hs[0], " ")
		if strings.EqualFold(scheme, "Bearer") {
			tok, found = strings.TrimLeft(rest, " "), true
		}
	default:
		return "", errBearerRepeat
	}
	if qs, ok := r.URL.Query()["access_token"]; ok {
		if found || len(qs) != 1 {
			return "", errBearerRepeat
		}
		tok, found = qs[0], true
	}
	if !found {
		return "", errNoToken
	}
	if tok == "" || len(tok) > maxBearer {
		return "", errBadToken
	}
	return tok, nil
}

type ctxKey int

const (
	claimsKey ctxKey = iota
	rawTokenKey
)

// bearer lets a request through only with a valid, unrevoked access token
// (session.Manager.Authenticate checks the store, so logout and revocation
// apply at once), and passes its claims on in the context.
func (s *server) bearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, be := bearerToken(r)
		if be != nil {
			writeBearer(w, be)
			return
		}
		c, err := s.sessions.Authenticate(r.Context(), tok)
		if errors.Is(err, session.ErrInvalidToken) {
			writeBearer(w, errBadToken)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), claimsKey, c)
		ctx = context.WithValue(ctx, rawTokenKey, tok)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireScope refuses a token without scope with 403 insufficient_scope.
func (s *server) requireScope(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := claimsFrom(r.Context())
		if c == nil || !c.HasScope(scope) {
			writeBearer(w, &bearerError{
				Code: "insufficient_scope", Description: "the access token lacks the required scope",
				Status: http.StatusForbidden, Scope: scope,
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// claimsFrom returns the claims the bearer middleware verified; nil
// outside it, which every handler treats as unauthenticated.
func claimsFrom(ctx context.Context) *gatehouse.Claims {
	c, _ := ctx.Value(claimsKey).(*gatehouse.Claims)
	return c
}
