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

	// The revocation feed: one given (WithRevocations), or the client to
	// start one with (WithRevocationFeed), and its settings.
	feed         *RevocationFeed
	feedClientID string
	feedSecret   string
	feedURL      string
	feedWait     time.Duration
	maxStale     time.Duration

	// Test seams of the RemoteVerifier's background refresh and of the
	// feed's polls.
	after     func(time.Duration) <-chan time.Time
	refreshed func(error)
	polled    func(error)
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

// WithRevocations makes a verifier refuse the tokens the feed reports
// revoked (ErrRevoked), drop them from its verified-token cache as the
// feed hears of them, drop revoked signing keys from its key set, and
// refuse every token with ErrUnavailable while the feed is staler than its
// WithMaxStaleness. One feed may serve several verifiers; closing a
// verifier does not close it.
func WithRevocations(feed *RevocationFeed) Option { return func(c *config) { c.feed = feed } }

// WithRevocationFeed makes NewRemoteVerifier follow the issuer's
// revocation feed as the confidential client clientID (registered with
// `gatehouse client add`): it starts a RevocationFeed with the verifier's
// HTTP client, clock, logger and transport rule, waits for its first
// synchronisation, uses it as WithRevocations does, and closes it on
// Close. The verifier's Feed method returns it (for its staleness).
func WithRevocationFeed(clientID, clientSecret string) Option {
	return func(c *config) { c.feedClientID, c.feedSecret = clientID, clientSecret }
}

// WithMaxStaleness makes a RevocationFeed's verifiers refuse every token
// (ErrFeedStale, answered 503) once the feed has not answered for longer
// than d, rather than trust a state that old: fail closed. 0, the default,
// keeps accepting tokens with the last known state however old. The long
// poll's wait is then at most d/2, so a healthy feed never reaches d.
func WithMaxStaleness(d time.Duration) Option { return func(c *config) { c.maxStale = d } }

// WithFeedWait sets how long one long poll of the revocation feed waits
// for an entry (DefaultFeedWait by default; the issuer allows up to 60 s).
func WithFeedWait(d time.Duration) Option { return func(c *config) { c.feedWait = d } }

// WithFeedURL sets the revocation feed's URL, when it is not the issuer
// URL + "/revocations" (a proxy, another route to the same issuer).
func WithFeedURL(u string) Option { return func(c *config) { c.feedURL = u } }
