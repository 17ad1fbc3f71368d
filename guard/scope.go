package guard

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
)

// RequireScope lets a request through only if its token grants every one of
// scopes; otherwise it answers 403 with
// `WWW-Authenticate: Bearer realm="…", error="insufficient_scope", scope="…"`
// naming all of them. It must come after Middleware: a request that no
// Middleware verified is answered 401 (fail closed). It panics if a scope is
// not an RFC 6749 scope token, so a typo fails at start-up.
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	mustScopes("RequireScope", scopes, false)
	need := gatehouse.FormatScope(scopes)
	return requireClaims(func(c *Claims) bool { return gatehouse.ScopeSubset(scopes, c.Scopes) },
		challenge{
			status:      http.StatusForbidden,
			code:        codeInsufficientScope,
			description: "the access token lacks a required scope",
			scope:       need,
		})
}

// RequireAnyScope lets a request through if its token grants at least one of
// scopes; otherwise it answers 403 insufficient_scope with scope="…" listing
// them. Like RequireScope it fails closed without Middleware, and it panics
// on an empty list or an invalid scope token.
func RequireAnyScope(scopes ...string) func(http.Handler) http.Handler {
	mustScopes("RequireAnyScope", scopes, true)
	need := gatehouse.FormatScope(scopes)
	return requireClaims(func(c *Claims) bool {
		return slices.ContainsFunc(scopes, c.HasScope)
	}, challenge{
		status:      http.StatusForbidden,
		code:        codeInsufficientScope,
		description: "the access token lacks every accepted scope",
		scope:       need,
	})
}

// RequireFresh lets a request through only if the user's password was
// checked (the token's auth_time) at most maxAge ago, for sensitive
// operations. Otherwise, and when the token has no auth_time or one more
// than a minute in the future, it answers 401
// error="invalid_token" with error_description "a fresh login is required":
// the client must send the user through a new login, not merely refresh
// (a refresh keeps auth_time). The clock is Middleware's (WithClock). It
// fails closed without Middleware.
func RequireFresh(maxAge time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := stateFrom(r.Context())
			if s == nil || s.claims == nil {
				errNoCredentials.write(w, realmOf(s))
				return
			}
			at := s.claims.AuthTime
			now := s.now()
			if at.IsZero() || now.Sub(at) > maxAge || at.After(now.Add(time.Minute)) {
				errNotFresh.write(w, s.realm)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireClaims is the shape of the scope checks: no verified claims → 401
// without an error attribute; claims that fail ok → deny.
func requireClaims(ok func(*Claims) bool, deny challenge) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := stateFrom(r.Context())
			if s == nil || s.claims == nil {
				errNoCredentials.write(w, realmOf(s))
				return
			}
			if !ok(s.claims) {
				deny.write(w, s.realm)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func realmOf(s *authState) string {
	if s == nil {
		return DefaultRealm
	}
	return s.realm
}

func mustScopes(fn string, scopes []string, nonEmpty bool) {
	if nonEmpty && len(scopes) == 0 {
		panic("guard: " + fn + " needs at least one scope")
	}
	for _, s := range scopes {
		if !gatehouse.ValidScopeToken(s) {
			panic(fmt.Sprintf("guard: %s: %q is not a scope token", fn, strings.ToValidUTF8(s, "?")))
		}
	}
}
