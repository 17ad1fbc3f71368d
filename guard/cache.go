package guard

import (
	"slices"
	"sync"
	"time"
)

// tokenCache maps token strings to the claims they verified to. It is
// bounded: when full, an insertion evicts the expired or soonest-expiring of
// a few entries sampled at random. An entry is served only while the clock
// is before its exp; expired entries are dropped when met.
//
// Evictions and insertions race with verifications in flight: a token being
// verified while its jti is evicted, or while its key leaves the key set,
// must not land in the cache afterwards. Every eviction bumps gen, and an
// insertion is dropped if gen moved since its verification started.
type tokenCache struct {
	max int

	mu      sync.RWMutex
	gen     uint64
	entries map[string]*Claims
	byJTI   map[string][]string // jti → tokens
	bySID   map[string][]string // sid → tokens
}

// evictionSample is how many entries a full cache looks at to choose one to
// evict.
const evictionSample = 8

func newTokenCache(max int) *tokenCache {
	if max <= 0 {
		return nil
	}
	return &tokenCache{
		max:     max,
		entries: make(map[string]*Claims),
		byJTI:   make(map[string][]string),
		bySID:   make(map[string][]string),
	}
}

// get returns the claims of tok if it is cached and now is before its exp.
func (c *tokenCache) get(tok string, now time.Time) (*Claims, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.RLock()
	claims, ok := c.entries[tok]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if !now.Before(claims.ExpiresAt) {
		c.mu.Lock()
		if c.entries[tok] == claims {
			c.removeLocked(tok, claims)
		}
		c.mu.Unlock()
		return nil, false
	}
	return claims, true
}

// generation returns the value put must be given for a verification that
// starts now.
func (c *tokenCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put caches claims for tok, unless an eviction happened since gen was read,
// the token is already expired, or revoked reports true for its claims.
// revoked is asked under the cache's lock: with remove, called by a request
// that found the token revoked, it keeps a token out of the cache once any
// request has refused it (a put is either before that remove, which drops
// it, or after the revocation, which it sees).
func (c *tokenCache) put(tok string, claims *Claims, gen uint64, now time.Time, revoked func(*Claims) bool) {
	if c == nil || !now.Before(claims.ExpiresAt) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || revoked(claims) {
		return
	}
	if _, ok := c.entries[tok]; ok {
		return
	}
	if len(c.entries) >= c.max {
		c.evictOneLocked(now)
	}
	c.entries[tok] = claims
	if claims.ID != "" {
		c.byJTI[claims.ID] = append(c.byJTI[claims.ID], tok)
	}
	if claims.SessionID != "" {
		c.bySID[claims.SessionID] = append(c.bySID[claims.SessionID], tok)
	}
}

// remove drops tok's entry, if it has one.
func (c *tokenCache) remove(tok string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if claims, ok := c.entries[tok]; ok {
		c.removeLocked(tok, claims)
	}
}

// evictOneLocked removes an expired entry, or the soonest-expiring, among a
// random sample (map iteration starts at a random place).
func (c *tokenCache) evictOneLocked(now time.Time) {
	var victim string
	var vc *Claims
	n := 0
	for tok, claims := range c.entries {
		if vc == nil || claims.ExpiresAt.Before(vc.ExpiresAt) {
			victim, vc = tok, claims
		}
		n++
		if n == evictionSample || !now.Before(claims.ExpiresAt) {
			break
		}
	}
	if vc != nil {
		c.removeLocked(victim, vc)
	}
}

// evict removes every entry with this jti or this sid (an empty value
// matches nothing).
func (c *tokenCache) evict(jti, sid string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, idx := range []struct {
		m   map[string][]string
		key string
	}{{c.byJTI, jti}, {c.bySID, sid}} {
		if idx.key == "" {
			continue
		}
		for _, tok := range slices.Clone(idx.m[idx.key]) {
			if claims, ok := c.entries[tok]; ok {
				c.removeLocked(tok, claims)
			}
		}
	}
}

// evictKeys removes every entry whose signing key fails keep. Key removal is
// rare, so it scans.
func (c *tokenCache) evictKeys(keep func(kid string) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for tok, claims := range c.entries {
		if !keep(claims.KeyID) {
			c.removeLocked(tok, claims)
		}
	}
}

func (c *tokenCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

func (c *tokenCache) removeLocked(tok string, claims *Claims) {
	delete(c.entries, tok)
	unindex(c.byJTI, claims.ID, tok)
	unindex(c.bySID, claims.SessionID, tok)
}

func unindex(m map[string][]string, key, tok string) {
	if key == "" {
		return
	}
	toks := slices.DeleteFunc(m[key], func(t string) bool { return t == tok })
	if len(toks) == 0 {
		delete(m, key)
	} else {
		m[key] = toks
	}
}

// evictMany removes every entry with one of the jtis or sids, bumping the
// generation once.
func (c *tokenCache) evictMany(jtis, sids []string) {
	if c == nil || len(jtis)+len(sids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, idx := range []struct {
		m    map[string][]string
		keys []string
	}{{c.byJTI, jtis}, {c.bySID, sids}} {
		for _, key := range idx.keys {
			for _, tok := range slices.Clone(idx.m[key]) {
				if claims, ok := c.entries[tok]; ok {
					c.removeLocked(tok, claims)
				}
			}
		}
	}
}

// evictIf removes every entry whose claims drop reports true: one scan, for
// what no index reaches (a user's tokens issued before a time).
func (c *tokenCache) evictIf(drop func(*Claims) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for tok, claims := range c.entries {
		if drop(claims) {
			c.removeLocked(tok, claims)
		}
	}
}
