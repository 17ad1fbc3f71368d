package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/gatehouse/gatehouse/token"
)

// RemoteVerifier verifies tokens with the public keys an issuer publishes.
// It finds the JWKS through the issuer's RFC 8414 metadata, keeps it as long
// as the response's Cache-Control allows and refreshes it in the background;
// a token with an unknown kid makes it fetch the JWKS again, at most once per
// refetch interval (WithRefetchInterval), concurrent callers sharing the one
// fetch. When the issuer is down it keeps serving from the last key set it
// got. Call Close to stop the background refresh. It is safe for concurrent
// use.
type RemoteVerifier struct {
	local    *LocalVerifier  // the current key set and the verified-token cache
	ownsFeed *RevocationFeed // started by WithRevocationFeed, closed by Close

	issuer   string
	jwksURI  string
	client   *http.Client
	now      func() time.Time
	interval time.Duration
	logger   *slog.Logger

	flight    singleflight.Group
	mu        sync.Mutex
	lastFetch time.Time // last JWKS fetch attempt, by the injected clock

	ctx       context.Context // cancelled by Close; bounds background fetches
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once

	after     func(time.Duration) <-chan time.Time // the background timer; a test seam
	refreshed func(error)                          // called after each background refresh; a test seam
}

var _ Verifier = (*RemoteVerifier)(nil)

// errRateLimited: an unknown kid arrived within the refetch interval of the
// last fetch, so the JWKS was not fetched.
var errRateLimited = errors.New("guard: jwks fetched too recently")

// NewRemoteVerifier discovers the JWKS of the issuer at issuerURL and returns
// a verifier of its tokens. issuerURL must be exactly the issuer the server
// puts in its tokens and metadata; metadata naming another issuer is refused
// (ErrIssuerMismatch), and so is a plain http:// issuer or jwks_uri that is
// not loopback unless WithInsecureHTTP is given (ErrInsecureIssuer). ctx
// bounds the initial fetches only; the verifier fails to start if they fail.
//
// WithAudience is required. It also takes WithLeeway, WithHTTPClient, WithNow, WithCache,
// WithRefetchInterval, WithRevocationCheck, WithLogger, WithInsecureHTTP,
// WithRevocations, and WithRevocationFeed with WithMaxStaleness,
// WithFeedWait and WithFeedURL (ctx then bounds the feed's first
// synchronisation too); the issuer checked in tokens is always issuerURL.
func NewRemoteVerifier(ctx context.Context, issuerURL string, opts ...Option) (*RemoteVerifier, error) {
	cfg := newConfig(opts)
	cfg.issuer = issuerURL
	if cfg.refetchInterval <= 0 {
		return nil, fmt.Errorf("guard: refetch interval %v is not positive", cfg.refetchInterval)
	}
	hc := cfg.client
	if hc == nil {
		hc = defaultHTTPClient(cfg.insecureHTTP)
	}
	jwksURI, err := discover(ctx, hc, issuerURL, cfg.insecureHTTP)
	if err != nil {
		return nil, err
	}
	now := cfg.now()
	keys, maxAge, hasMaxAge, err := fetchJWKS(ctx, hc, jwksURI)
	if err != nil {
		return nil, err
	}
	var owned *RevocationFeed
	if cfg.feed == nil && cfg.feedClientID != "" {
		if owned, err = newRevocationFeed(ctx, issuerURL, cfg.feedClientID, cfg.feedSecret, cfg); err != nil {
			return nil, err
		}
		cfg.feed = owned
	}
	local, err := newLocalVerifier(keys, cfg)
	if err != nil {
		if owned != nil {
			owned.Close()
		}
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	r := &RemoteVerifier{
		local:     local,
		ownsFeed:  owned,
		issuer:    issuerURL,
		jwksURI:   jwksURI,
		client:    hc,
		now:       cfg.now,
		interval:  cfg.refetchInterval,
		logger:    cfg.logger,
		lastFetch: now,
		ctx:       bg,
		cancel:    cancel,
		done:      make(chan struct{}),
		after:     cfg.after,
		refreshed: cfg.refreshed,
	}
	if r.after == nil {
		r.after = time.After
	}
	go r.refreshLoop(r.refreshDelay(maxAge, hasMaxAge))
	return r, nil
}

// Verify is LocalVerifier.Verify against the issuer's current keys; a token
// whose kid is unknown makes the verifier fetch the JWKS (rate-limited) and
// try once more.
func (r *RemoteVerifier) Verify(ctx context.Context, tok string) (*Claims, error) {
	claims, err := r.local.Verify(ctx, tok)
	if err == nil || !errors.Is(err, token.ErrUnknownKey) {
		return claims, err
	}
	if ferr := r.refetch(ctx); ferr != nil {
		return nil, err // the token's own error: the kid is unknown
	}
	return r.local.Verify(ctx, tok)
}

// Evict drops cached tokens by jti or session, as LocalVerifier.Evict.
func (r *RemoteVerifier) Evict(jti, sid string) { r.local.Evict(jti, sid) }

// Keys returns the key set in use: the last one fetched successfully.
func (r *RemoteVerifier) Keys() *token.KeySet { return r.local.Keys() }

// Issuer returns the issuer URL the verifier was made for.
func (r *RemoteVerifier) Issuer() string { return r.issuer }

// Feed returns the revocation feed the verifier follows, or nil.
func (r *RemoteVerifier) Feed() *RevocationFeed { return r.local.feed }

// Close stops the background refresh, and the revocation feed that
// WithRevocationFeed started. The verifier keeps verifying with the keys
// and revocations it has. Close is idempotent and always returns nil.
func (r *RemoteVerifier) Close() error {
	r.closeOnce.Do(func() {
		r.cancel()
		<-r.done
		r.local.Close()
		if r.ownsFeed != nil {
			r.ownsFeed.Close()
		}
	})
	return nil
}

// refetch fetches the JWKS for an unknown kid unless one was fetched within
// the refetch interval; callers arriving during a fetch wait for it.
func (r *RemoteVerifier) refetch(ctx context.Context) error {
	ch := r.flight.DoChan("jwks", func() (any, error) {
		r.mu.Lock()
		now := r.now()
		if now.Sub(r.lastFetch) < r.interval {
			r.mu.Unlock()
			return nil, errRateLimited
		}
		r.lastFetch = now
		r.mu.Unlock()
		return r.fetch()
	})
	select {
	case res := <-ch:
		return res.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetch gets the JWKS and installs it; on failure the current keys stay.
func (r *RemoteVerifier) fetch() (time.Duration, error) {
	keys, maxAge, ok, err := fetchJWKS(r.ctx, r.client, r.jwksURI)
	if err != nil {
		r.logger.Warn("guard: JWKS refresh failed; keeping the last key set", "jwks_uri", r.jwksURI, "err", err)
		return 0, err
	}
	r.local.SetKeys(keys)
	return r.refreshDelay(maxAge, ok), nil
}

// refreshLoop refreshes the JWKS when its cache lifetime runs out, and
// retries a failed refresh after the refetch interval.
func (r *RemoteVerifier) refreshLoop(delay time.Duration) {
	defer close(r.done)
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.after(delay):
		}
		res, err, _ := r.flight.Do("jwks", func() (any, error) {
			r.mu.Lock()
			r.lastFetch = r.now()
			r.mu.Unlock()
			return r.fetch()
		})
		delay = r.interval
		if d, ok := res.(time.Duration); ok && err == nil {
			delay = d
		}
		if r.refreshed != nil {
			r.refreshed(err)
		}
	}
}

// refreshDelay is how long a JWKS with this cache lifetime is kept.
func (r *RemoteVerifier) refreshDelay(maxAge time.Duration, ok bool) time.Duration {
	if !ok {
		maxAge = defaultRefreshPeriod
	}
	return min(max(maxAge, r.interval), maxRefreshPeriod)
}
