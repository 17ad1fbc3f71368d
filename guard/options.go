package guard

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Option configures a LocalVerifier or a RemoteVerifier.
type Option func(*config)

// RevocationCheck reports whether the token with this jti, of the session
// sid, is revoked. An error means "could not tell" and guard refuses the
// token (ErrUnavailable).
type RevocationCheck func(ctx context.Context, jti, sid string) (revoked bool, err error)

type config struct {
	issuer          string
	audience        string
	leeway          time.Duration
	client          *http.Client
	now             func() time.Time
	cacheSize       int
	refetchInterval time.Duration
	revoked         RevocationCheck
	logger          *slog.Logger
	insecureHTTP    bool

	// Test seams of the RemoteVerifier's background refresh.
	after     func(time.Duration) <-chan time.Time
	refreshed func(error)
}

// Defaults.
const (
	// DefaultCacheSize is the number of verified tokens kept by default.
	DefaultCacheSize = 10000
	// DefaultRefetchInterval is the least time between two JWKS fetches
	// caused by tokens with an unknown kid, and the shortest background
	// refresh period.
	DefaultRefetchInterval = time.Minute
)

func newConfig(opts []Option) config {
	c := config{
		now:             time.Now,
		cacheSize:       DefaultCacheSize,
		refetchInterval: DefaultRefetchInterval,
		logger:          slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithIssuer sets the iss every token must carry (exact match); a
// LocalVerifier requires it. A RemoteVerifier always uses the issuer URL it
// was given and ignores this.
func WithIssuer(iss string) Option { return func(c *config) { c.issuer = iss } }

// WithAudience sets the audience the tokens must be for: this API's name.
// Both verifiers require it, so a token minted for another API of the same
// issuer never passes.
func WithAudience(aud string) Option { return func(c *config) { c.audience = aud } }

// WithLeeway sets the clock skew tolerated on exp, nbf and iat (the token
// package's default and bounds apply).
func WithLeeway(d time.Duration) Option { return func(c *config) { c.leeway = d } }

// WithHTTPClient sets the client a RemoteVerifier fetches metadata and keys
// with. The default has a 10-second timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.client = hc } }

// WithNow sets the clock (time.Now by default).
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithCache sets how many verified tokens are kept (DefaultCacheSize by
// default); 0 disables the cache.
func WithCache(maxEntries int) Option { return func(c *config) { c.cacheSize = maxEntries } }

// WithRefetchInterval sets the least time between two JWKS fetches of a
// RemoteVerifier caused by unknown kids, which is also the shortest
// background refresh period (DefaultRefetchInterval by default).
func WithRefetchInterval(d time.Duration) Option {
	return func(c *config) { c.refetchInterval = d }
}

// WithRevocationCheck adds an online check run on every Verify, cached or
// not, after the token verified: a token it reports revoked is refused with
// ErrRevoked, and when it fails the token is refused with ErrUnavailable.
func WithRevocationCheck(check RevocationCheck) Option {
	return func(c *config) { c.revoked = check }
}

// WithLogger sets where a RemoteVerifier reports failed key refreshes. Tokens
// are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithInsecureHTTP lets a RemoteVerifier use a plain http:// issuer that is
// not a loopback address. Only for tests and closed networks: anyone on the
// path can then replace the keys.
func WithInsecureHTTP() Option { return func(c *config) { c.insecureHTTP = true } }
