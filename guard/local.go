package guard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// LocalVerifier verifies tokens against a key set it holds: for services that
// share the server's keys. It is safe for concurrent use.
type LocalVerifier struct {
	v       *token.Verifier
	now     func() time.Time
	revoked RevocationCheck
	cache   *tokenCache
}

var _ Verifier = (*LocalVerifier)(nil)

// NewLocalVerifier returns a verifier of tokens signed by keys. WithIssuer
// and WithAudience are required; it also takes WithLeeway, WithNow,
// WithCache and WithRevocationCheck; the other options do not apply to it.
func NewLocalVerifier(keys *token.KeySet, opts ...Option) (*LocalVerifier, error) {
	return newLocalVerifier(keys, newConfig(opts))
}

func newLocalVerifier(keys *token.KeySet, cfg config) (*LocalVerifier, error) {
	if keys == nil {
		return nil, errors.New("guard: NewLocalVerifier needs a key set")
	}
	if cfg.cacheSize < 0 {
		return nil, fmt.Errorf("guard: cache size %d is negative", cfg.cacheSize)
	}
	v, err := token.NewVerifier(keys, token.Options{
		Issuer:   cfg.issuer,
		Audience: cfg.audience,
		Leeway:   cfg.leeway,
		MaxSize:  MaxTokenSize,
		Now:      cfg.now,
	})
	if err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	return &LocalVerifier{
		v:       v,
		now:     cfg.now,
		revoked: cfg.revoked,
		cache:   newTokenCache(cfg.cacheSize),
	}, nil
}

// Verify returns the claims of tok if it is valid: signed by a key of the
// set, for this issuer and audience, within its lifetime, and not reported
// revoked. A token verified before is taken from the cache while its exp is
// ahead of the clock. Errors: ErrInvalidToken (wrapping the token package's
// reason) for a refused token, ErrRevoked, ErrUnavailable.
func (l *LocalVerifier) Verify(ctx context.Context, tok string) (*Claims, error) {
	now := l.now()
	claims, hit := l.cacheGet(tok, now)
	if !hit {
		gen := l.cache.generation()
		var err error
		if claims, err = l.v.Verify(tok); err != nil {
			return nil, err
		}
		if err := l.checkRevoked(ctx, claims); err != nil {
			return nil, err
		}
		l.cache.put(tok, claims, gen, now)
		return claims, nil
	}
	if err := l.checkRevoked(ctx, claims); err != nil {
		return nil, err
	}
	return claims, nil
}

func (l *LocalVerifier) cacheGet(tok string, now time.Time) (*Claims, bool) {
	if len(tok) > MaxTokenSize {
		return nil, false // let the token package refuse it, without hashing it
	}
	return l.cache.get(tok, now)
}

func (l *LocalVerifier) checkRevoked(ctx context.Context, c *Claims) error {
	if l.revoked == nil {
		return nil
	}
	revoked, err := l.revoked(ctx, c.ID, c.SessionID)
	switch {
	case err != nil:
		return fmt.Errorf("%w: revocation check: %w", ErrUnavailable, err)
	case revoked:
		return ErrRevoked
	}
	return nil
}

// Evict drops from the verified-token cache every token with this jti or of
// this session sid (an empty argument matches nothing). It does not deny the
// token by itself: the next Verify checks it again from scratch, so a
// revocation feed must also answer through WithRevocationCheck (or the
// server's own denial) for the token to be refused.
func (l *LocalVerifier) Evict(jti, sid string) { l.cache.evict(jti, sid) }

// SetKeys replaces the key set. Cached tokens signed by a key that is no
// longer in the set are evicted.
func (l *LocalVerifier) SetKeys(keys *token.KeySet) {
	if keys == nil {
		return
	}
	l.v.SetKeys(keys)
	l.cache.evictKeys(func(kid string) bool {
		_, ok := keys.Key(kid)
		return ok
	})
}

// Keys returns the current key set.
func (l *LocalVerifier) Keys() *token.KeySet { return l.v.Keys() }
