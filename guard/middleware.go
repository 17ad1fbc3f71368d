package guard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// Verifier turns a token into its verified claims. Verify returns an error
// for every token it does not accept; callers must not look at the claims
// then. LocalVerifier and RemoteVerifier implement it; it is also what
// non-HTTP callers (gRPC interceptors, WebSocket upgrades, workers) use.
type Verifier interface {
	Verify(ctx context.Context, token string) (*Claims, error)
}

// MiddlewareOption configures Middleware and Optional.
type MiddlewareOption func(*middlewareConfig)

type middlewareConfig struct {
	cookie   string
	csrf     *CSRF
	csrfSet  bool
	realm    string
	optional bool
	now      func() time.Time
}

// WithCookie makes the middleware also read the token from the named cookie
// (AccessCookie for the cookies Gatehouse sets) when the request has no
// Authorization: Bearer header. A state-changing request whose token came
// from the cookie must then pass the CSRF rule (see CSRF; WithCSRF sets
// which origins it trusts, none by default), or it is answered 403 before
// its token is looked at.
func WithCookie(name string) MiddlewareOption {
	return func(c *middlewareConfig) { c.cookie = name }
}

// WithCSRF sets the CSRF rule of cookie mode, to trust the front-ends on
// other origins that NewCSRF names. Without it, cookie mode trusts no
// other origin. It has no effect without WithCookie, and a nil rule
// refuses every state-changing cookie request.
func WithCSRF(rule *CSRF) MiddlewareOption {
	return func(c *middlewareConfig) { c.csrf, c.csrfSet = rule, true }
}

// WithRealm sets the realm of the WWW-Authenticate challenges (DefaultRealm
// by default).
func WithRealm(realm string) MiddlewareOption {
	return func(c *middlewareConfig) { c.realm = realm }
}

// WithOptional lets requests without credentials through, anonymous
// (ClaimsFrom reports false). A request with a bad token is still refused.
func WithOptional() MiddlewareOption {
	return func(c *middlewareConfig) { c.optional = true }
}

// WithClock sets the clock RequireFresh reads behind this middleware
// (time.Now by default).
func WithClock(now func() time.Time) MiddlewareOption {
	return func(c *middlewareConfig) { c.now = now }
}

// Middleware verifies the request's bearer token with v and hands the claims
// to the next handler through the context (ClaimsFrom). The token is read
// from the Authorization header and, failing that, from the WithCookie
// cookie; a state-changing request authenticated by the cookie must pass
// the CSRF rule first. It answers per RFC 6750 §3:
//
//   - no credentials, or another scheme: 401 with
//     `WWW-Authenticate: Bearer realm="…"` and no error attribute;
//   - a token that is malformed, too long or refused by v: 401
//     error="invalid_token";
//   - an access_token query parameter, or several Authorization headers:
//     400 error="invalid_request";
//   - v could not check the token (ErrUnavailable): 503;
//   - a cookie-authenticated request that the CSRF rule refuses: 403
//     error="invalid_request", without WWW-Authenticate.
//
// Bodies are `{"error":"…","error_description":"…"}` and never contain the
// token.
func Middleware(v Verifier, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	c := middlewareConfig{realm: DefaultRealm, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if v == nil {
		panic("guard: Middleware needs a Verifier")
	}
	if c.cookie != "" && !c.csrfSet {
		c.csrf, _ = NewCSRF()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok, fromCookie, err := c.extract(r)
			if err == nil && fromCookie {
				if err := c.csrf.Check(r); err != nil {
					csrfChallenge(err).write(w, c.realm)
					return
				}
			}
			if errors.Is(err, ErrNoToken) && c.optional {
				ctx := withState(r.Context(), &authState{realm: c.realm, now: c.now})
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
			if err != nil {
				extractChallenge(err).write(w, c.realm)
				return
			}
			claims, err := v.Verify(r.Context(), tok)
			if err != nil || claims == nil {
				verifyChallenge(err).write(w, c.realm)
				return
			}
			ctx := withState(r.Context(), &authState{claims: claims, realm: c.realm, now: c.now})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// Optional is Middleware with WithOptional: for routes that serve anonymous
// users too. A request without credentials goes through without claims; one
// with a bad token is refused as by Middleware.
func Optional(v Verifier, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	return Middleware(v, append(opts[:len(opts):len(opts)], WithOptional())...)
}

// extract reads the header, then the cookie; fromCookie tells which gave
// the token.
func (c *middlewareConfig) extract(r *http.Request) (tok string, fromCookie bool, err error) {
	tok, err = ExtractBearer(r)
	if errors.Is(err, ErrNoToken) && c.cookie != "" {
		tok, err = cookieToken(r, c.cookie)
		return tok, err == nil, err
	}
	return tok, false, err
}

func extractChallenge(err error) challenge {
	switch {
	case errors.Is(err, ErrNoToken):
		return errNoCredentials
	case errors.Is(err, ErrQueryToken):
		return errQueryToken
	case errors.Is(err, ErrMultipleAuthorization):
		return errMultipleAuthorization
	default:
		return errInvalidToken
	}
}

// verifyChallenge maps a Verify error to the answer; anything it does not
// recognise, including a nil error with nil claims, is invalid_token.
func verifyChallenge(err error) challenge {
	switch {
	case errors.Is(err, ErrUnavailable):
		return errUnavailable
	case errors.Is(err, ErrRevoked):
		return errRevokedToken
	case errors.Is(err, token.ErrExpired):
		return errExpiredToken
	default:
		return errInvalidToken
	}
}
