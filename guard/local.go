package guard

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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
	feed    *RevocationFeed // nil without WithRevocations

	keysMu    sync.Mutex
	published *token.KeySet // the key set given, before revoked keys are dropped
}

var _ Verifier = (*LocalVerifier)(nil)

// NewLocalVerifier returns a verifier of tokens signed by keys. WithIssuer
// and WithAudience are required; it also takes WithLeeway, WithNow,
// WithCache, WithRevocationCheck and WithRevocations; the other options do
// not apply to it. With WithRevocations, call Close when done with it.
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
	l := &LocalVerifier{
		v:         v,
		now:       cfg.now,
		revoked:   cfg.revoked,
		cache:     newTokenCache(cfg.cacheSize),
		feed:      cfg.feed,
		published: keys,
	}
	if l.feed != nil {
		l.feed.listen(l)
		l.SetKeys(keys) // without the keys the feed already revoked
	}
	return l, nil
}

// Verify returns the claims of tok if it is valid: signed by a key of the
// set, for this issuer and audience, within its lifetime, and not reported
// revoked. A token verified before is taken from the cache while its exp is
// ahead of the clock. Errors: ErrInvalidToken (wrapping the token package's
// reason) for a refused token, ErrRevoked, ErrUnavailable.
func (l *LocalVerifier) Verify(ctx context.Context, tok string) (*Claims, error) {
	if l.feed != nil {
		if err := l.feed.fresh(); err != nil {
			return nil, err
		}
	}
	now := l.now()
	claims, hit := l.cacheGet(tok, now)
	if !hit {
		// A token the feed revoked is evicted from the cache after the set
		// has it; one verified meanwhile is not cached (generation).
		gen := l.cache.generation()
		var err error
		if claims, err = l.v.Verify(tok); err != nil {
			if errors.Is(err, token.ErrUnknownKey) && l.feed != nil && l.feed.set.kidRevoked(headerKID(tok)) {
				return nil, ErrRevoked
			}
			return nil, err
		}
		if l.feed != nil && l.feed.set.revoked(claims) {
			// A verification that started before the set had the entry
			// may have cached the token since; no hit may accept what
			// this request refused.
			l.cache.remove(tok)
			return nil, ErrRevoked
		}
		if err := l.checkRevoked(ctx, claims); err != nil {
			return nil, err
		}
		l.cache.put(tok, claims, gen, now, l.revokedByFeed)
		return claims, nil
	}
	if err := l.checkRevoked(ctx, claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// revokedByFeed reports whether the feed's set holds an entry matching c.
func (l *LocalVerifier) revokedByFeed(c *Claims) bool {
	return l.feed != nil && l.feed.set.revoked(c)
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
// revocation must also reach the verifier through WithRevocations (which
// evicts by itself), WithRevocationCheck or the server's own denial for the
// token to be refused.
func (l *LocalVerifier) Evict(jti, sid string) { l.cache.evict(jti, sid) }

// SetKeys replaces the key set, less the keys the revocation feed revoked.
// Cached tokens signed by a key that is no longer in the set are evicted.
func (l *LocalVerifier) SetKeys(keys *token.KeySet) {
	if keys == nil {
		return
	}
	l.keysMu.Lock()
	defer l.keysMu.Unlock()
	l.published = keys
	l.installKeysLocked()
}

// installKeysLocked puts the published key set, less the keys the feed
// revoked, in use, and evicts the cached tokens of the keys left out.
// keysMu is held, so that a JWKS refresh and a key revocation arriving at
// once cannot install an older set over a newer one.
func (l *LocalVerifier) installKeysLocked() {
	keys := l.published
	if l.feed != nil {
		var kept []*token.Key
		for _, k := range keys.Keys() {
			if !l.feed.set.kidRevoked(k.ID()) {
				kept = append(kept, k)
			}
		}
		if len(kept) != len(keys.Keys()) {
			keys, _ = token.NewKeySet(kept...) // a subset of a valid set is valid
		}
	}
	l.v.SetKeys(keys)
	l.cache.evictKeys(func(kid string) bool {
		_, ok := keys.Key(kid)
		return ok
	})
}

// revokedEntries is called by the feed after it added es to its set: it
// evicts the cached tokens they match, and drops revoked keys.
func (l *LocalVerifier) revokedEntries(es []entry) {
	var jtis, sids []string
	scan, kid := false, false
	for _, e := range es {
		switch e.kind {
		case kindJTI:
			jtis = append(jtis, e.value)
		case kindSID:
			sids = append(sids, e.value)
		case kindUser:
			scan = true
		case kindKID:
			kid = true
		}
	}
	l.cache.evictMany(jtis, sids)
	if scan {
		l.cache.evictIf(l.feed.set.revoked)
	}
	if kid {
		l.keysMu.Lock()
		l.installKeysLocked()
		l.keysMu.Unlock()
	}
}

// Close stops the verifier listening to its revocation feed (the feed
// itself goes on, for its other verifiers). It always returns nil.
func (l *LocalVerifier) Close() error {
	if l.feed != nil {
		l.feed.unlisten(l)
	}
	return nil
}

// Feed returns the revocation feed the verifier follows, or nil.
func (l *LocalVerifier) Feed() *RevocationFeed { return l.feed }

// headerKID reads the kid of a token's header without verifying anything:
// only to tell a token of a revoked key from one of a key not yet fetched.
func headerKID(tok string) string {
	h, _, ok := strings.Cut(tok, ".")
	if !ok || len(h) > MaxTokenSize {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(b, &hdr) != nil {
		return ""
	}
	return hdr.Kid
}

// Keys returns the current key set.
func (l *LocalVerifier) Keys() *token.KeySet { return l.v.Keys() }
