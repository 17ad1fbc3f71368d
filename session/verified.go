package session

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// verifiedTokens remembers the claims of the access tokens the manager has
// verified, so that a token presented again (a page's every /userinfo or
// /sessions call, an API's every /introspect) skips the signature check,
// about half of such a request's CPU with ES256 (docs/benchmarks.md).
//
// Only the signature check and the decoding are skipped: Check still reads
// the token's state from the store on every call, so a revocation, a
// logout, a disabled user or a revoked key takes effect at once, as
// before. An entry is used only before the token's exp (past it, Verify
// judges again, with its leeway) and only while the verifier's key set
// still holds the key that verified it (a kid is the key's RFC 7638
// thumbprint, so the same kid is the same key): a key that left the set
// takes its tokens' entries with it. Failures are never remembered, so only tokens
// this server signed can fill it. Tokens are keyed by their SHA-256: the
// cache holds no token.
type verifiedTokens struct {
	max int

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]*gatehouse.Claims
}

// verifiedTokensMax bounds the cache: about 0.5 KiB an entry.
const verifiedTokensMax = 16384

// verifiedEvictionSample is how many entries a full cache looks at to
// choose the one to evict.
const verifiedEvictionSample = 8

func newVerifiedTokens(max int) *verifiedTokens {
	return &verifiedTokens{max: max, entries: make(map[[sha256.Size]byte]*gatehouse.Claims)}
}

// verify returns the claims of tok as v.Verify does, from the cache when
// tok verified before, its key is still v's, and now is before its exp.
// The claims may be shared between callers: they are read-only.
func (c *verifiedTokens) verify(v *token.Verifier, tok string, now time.Time) (*gatehouse.Claims, error) {
	if len(tok) > token.DefaultMaxSize {
		// Verify refuses it without hashing.
		return v.Verify(tok)
	}
	sum := sha256.Sum256([]byte(tok))
	c.mu.RLock()
	cached, ok := c.entries[sum]
	c.mu.RUnlock()
	if ok {
		if _, found := v.Keys().Key(cached.KeyID); found && now.Before(cached.ExpiresAt) {
			return cached, nil
		}
		c.drop(sum, cached)
	}
	claims, err := v.Verify(tok)
	if err != nil {
		return nil, err
	}
	if now.Before(claims.ExpiresAt) {
		c.put(sum, claims, now)
	}
	return claims, nil
}

// drop removes the entry of sum if it is still claims.
func (c *verifiedTokens) drop(sum [sha256.Size]byte, claims *gatehouse.Claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[sum] == claims {
		delete(c.entries, sum)
	}
}

// put remembers claims, evicting an expired or the soonest-expiring of a few
// entries (map iteration starts at a random place) when the cache is full.
func (c *verifiedTokens) put(sum [sha256.Size]byte, claims *gatehouse.Claims, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[sum]; !ok && len(c.entries) >= c.max {
		var victim [sha256.Size]byte
		var soonest time.Time
		n := 0
		for k, old := range c.entries {
			if !now.Before(old.ExpiresAt) {
				victim = k
				break
			}
			if n == 0 || old.ExpiresAt.Before(soonest) {
				victim, soonest = k, old.ExpiresAt
			}
			if n++; n == verifiedEvictionSample {
				break
			}
		}
		delete(c.entries, victim)
	}
	c.entries[sum] = claims
}

// len is the number of entries.
func (c *verifiedTokens) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
