package guard

import (
	"encoding/base64"
	"math"
	"sync"
	"time"
)

// Kinds of revocation-feed entries (docs/revocation.md).
const (
	kindJTI  = "jti"  // one access token
	kindSID  = "sid"  // every access token of a session
	kindUser = "user" // every access token of a user issued before issued_before
	kindKID  = "kid"  // every token signed by a key, which leaves the key set
)

// revocationSet is what a RevocationFeed holds in memory: the entries still
// in force. Memory is the point: a feed may hold a million entries (a mass
// logout), so jti and sid values in Gatehouse's one id form (22 characters
// of base64url, 128 bits) are kept as 16-byte array keys with a 4-byte
// forget time, about 55 bytes an entry all told (BenchmarkRevocationSetMillion
// measures it), and other strings in ordinary maps. Entries are dropped
// once past their forget time, by sweeping one shard of the maps at a time,
// so that no sweep holds the lock for long.
type revocationSet struct {
	mu    sync.RWMutex
	ids   [idShards]map[idKey]uint32 // canonical jti and sid values → forget time (Unix s)
	strs  map[strKey]int64           // other jti and sid values, and kid values → forget time
	users map[string]userMark        // user id → its mark
	n     map[string]int             // entries held, by kind
	next  int                        // the shard the next sweep looks at
}

// idShards is how many pieces the compact maps are swept in.
const idShards = 64

// idKey is a canonical id of one kind: the kind's first byte, then the 16
// bytes the id encodes.
type idKey struct {
	kind byte
	id   [16]byte
}

type strKey struct{ kind, value string }

// userMark revokes every token of a user issued before (iat < before).
type userMark struct {
	before, forget int64 // Unix seconds
}

func newRevocationSet() *revocationSet {
	s := &revocationSet{strs: map[strKey]int64{}, users: map[string]userMark{}, n: map[string]int{}}
	for i := range s.ids {
		s.ids[i] = map[idKey]uint32{}
	}
	return s
}

// compactID decodes a value in Gatehouse's id form, and reports whether it
// is one (so that re-encoding the 16 bytes gives the value back).
func compactID(kind, v string) (idKey, bool) {
	var k idKey
	if len(v) != 22 {
		return k, false
	}
	n, err := base64.RawURLEncoding.Strict().Decode(k.id[:], []byte(v))
	if err != nil || n != 16 {
		return k, false
	}
	k.kind = kind[0]
	return k, true
}

// entry is one feed entry as the set stores it.
type entry struct {
	kind, value          string
	issuedBefore, forget int64
}

// add records entries; a value already held keeps the later forget time,
// and a user keeps the later issued_before.
func (s *revocationSet) add(es []entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range es {
		switch e.kind {
		case kindJTI, kindSID:
			if k, ok := compactID(e.kind, e.value); ok {
				m := s.ids[k.id[0]%idShards]
				f, held := m[k]
				if !held {
					s.n[e.kind]++
				}
				m[k] = max(f, clampForget(e.forget))
				continue
			}
			fallthrough
		case kindKID:
			k := strKey{e.kind, e.value}
			f, held := s.strs[k]
			if !held {
				s.n[e.kind]++
			}
			s.strs[k] = max(f, e.forget)
		case kindUser:
			m, held := s.users[e.value]
			if !held {
				s.n[e.kind]++
			}
			s.users[e.value] = userMark{before: max(m.before, e.issuedBefore), forget: max(m.forget, e.forget)}
		}
	}
}

func clampForget(f int64) uint32 {
	return uint32(min(max(f, 0), math.MaxUint32))
}

// revoked reports whether an entry matches the claims: their jti, their
// session, their key, or their user with an iat before the user's mark (a
// token without iat is before every mark).
func (s *revocationSet) revoked(c *Claims) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.revokedLocked(c)
}

func (s *revocationSet) revokedLocked(c *Claims) bool {
	return s.hasLocked(kindJTI, c.ID) || s.hasLocked(kindSID, c.SessionID) || s.hasLocked(kindKID, c.KeyID) ||
		s.userRevokedLocked(c)
}

func (s *revocationSet) userRevokedLocked(c *Claims) bool {
	m, ok := s.users[c.Subject]
	if !ok || c.Subject == "" {
		return false
	}
	return c.IssuedAt.IsZero() || c.IssuedAt.Unix() < m.before
}

func (s *revocationSet) hasLocked(kind, v string) bool {
	if v == "" {
		return false
	}
	if kind != kindKID {
		if k, ok := compactID(kind, v); ok {
			_, found := s.ids[k.id[0]%idShards][k]
			return found
		}
	}
	_, found := s.strs[strKey{kind, v}]
	return found
}

// kidRevoked reports whether the key kid is revoked.
func (s *revocationSet) kidRevoked(kid string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.hasLocked(kindKID, kid)
}

// sweep drops the entries of one shard (and every string and user entry,
// which are few) whose forget time is before now, and moves to the next
// shard. idShards calls sweep everything.
func (s *revocationSet) sweep(now time.Time) {
	t := now.Unix()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, f := range s.ids[s.next] {
		if int64(f) < t {
			delete(s.ids[s.next], k)
			if k.kind == kindJTI[0] {
				s.n[kindJTI]--
			} else {
				s.n[kindSID]--
			}
		}
	}
	s.next = (s.next + 1) % idShards
	for k, f := range s.strs {
		if f < t {
			delete(s.strs, k)
			s.n[k.kind]--
		}
	}
	for k, m := range s.users {
		if m.forget < t {
			delete(s.users, k)
			s.n[kindUser]--
		}
	}
}

// counts returns how many entries of each kind are held.
func (s *revocationSet) counts() map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := map[string]int{kindJTI: 0, kindSID: 0, kindUser: 0, kindKID: 0}
	for k, n := range s.n {
		c[k] = n
	}
	return c
}
