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
// takes its tokens' entries with it. Failures are never remembered, so
// only tokens this server signed can fill it. Tokens are keyed by their
// SHA-256: the cache holds no token.
type verifiedTokens struct {
	budget int // bytes: the sum of the entries' weights stays within it

	mu      sync.RWMutex
	entries map[[sha256.Size]byte]verifiedToken
	weight  int
}

// verifiedToken is one remembered verification and what it weighs: its
// token's length (the decoded claims hold about as much) and the map's
// and the claims' fixed overhead.
type verifiedToken struct {
	claims *gatehouse.Claims
	weight int
}

// verifiedOverhead is an entry's weight beyond its token's length.
const verifiedOverhead = 512

// verifiedTokensBudget bounds the cache's memory: about 16 MiB, some
// 13,000 tokens of a usual size (they are 600 to 900 bytes), fewer when
// custom claims make them larger.
const verifiedTokensBudget = 16 << 20

// verifiedEvictionSample is how many entries a full cache looks at to
// choose one to evict.
const verifiedEvictionSample = 8

func newVerifiedTokens(budget int) *verifiedTokens {
	return &verifiedTokens{budget: budget, entries: make(map[[sha256.Size]byte]verifiedToken)}
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
	e, ok := c.entries[sum]
	c.mu.RUnlock()
	if ok {
		if _, found := v.Keys().Key(e.claims.KeyID); found && now.Before(e.claims.ExpiresAt) {
			return e.claims, nil
		}
		c.drop(sum, e.claims)
	}
	claims, err := v.Verify(tok)
	if err != nil {
		return nil, err
	}
	if now.Before(claims.ExpiresAt) {
		c.put(sum, verifiedToken{claims: claims, weight: len(tok) + verifiedOverhead}, now)
	}
	return claims, nil
}

// drop removes the entry of sum if it is still claims.
func (c *verifiedTokens) drop(sum [sha256.Size]byte, claims *gatehouse.Claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[sum]; ok && e.claims == claims {
		c.removeLocked(sum, e)
	}
}

// put remembers e, first evicting, while the budget has no room for it,
// an expired or the soonest-expiring of a few entries (map iteration
// starts at a random place).
func (c *verifiedTokens) put(sum [sha256.Size]byte, e verifiedToken, now time.Time) {
	if e.weight > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[sum]; ok {
		return
	}
	for c.weight+e.weight > c.budget && len(c.entries) > 0 {
		c.evictOneLocked(now)
	}
	c.entries[sum] = e
	c.weight += e.weight
}

// evictOneLocked removes an expired entry, or the soonest-expiring, among
// a sample of the entries.
func (c *verifiedTokens) evictOneLocked(now time.Time) {
	var victim [sha256.Size]byte
	var ve verifiedToken
	n := 0
	for k, old := range c.entries {
		if !now.Before(old.claims.ExpiresAt) {
			victim, ve = k, old
			break
		}
		if n == 0 || old.claims.ExpiresAt.Before(ve.claims.ExpiresAt) {
			victim, ve = k, old
		}
		if n++; n == verifiedEvictionSample {
			break
		}
	}
	c.removeLocked(victim, ve)
}

func (c *verifiedTokens) removeLocked(sum [sha256.Size]byte, e verifiedToken) {
	delete(c.entries, sum)
	c.weight -= e.weight
}

// len is the number of entries, and weight their total weight.
func (c *verifiedTokens) len() (n, weight int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries), c.weight
}
