package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// signedAhead is how far past a token's exp the keyring records a key's
// SignedUntil when it must record: the tokens signed in the next minute or
// so need no write. A retired key is thus published at most this much
// longer than its last token needs.
const signedAhead = time.Minute

// signingKey is the opened active key of this process and how far its
// SignedUntil is known to be recorded in the store.
type signingKey struct {
	kid    string
	signer *token.Signer

	mu       sync.Mutex   // one RecordSigned at a time
	recorded atomic.Int64 // unix seconds: SignedUntil is durable up to here
}

// cover makes sure the store's SignedUntil of the key is at least exp
// before a token with that exp is handed out: a crash never leaves a
// token whose key could leave the JWKS before it expires. It writes only
// when exp is past what is recorded, and then records exp + signedAhead.
func (s *signingKey) cover(ctx context.Context, st gatehouse.KeyStore, exp time.Time) error {
	if exp.Unix() <= s.recorded.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp.Unix() <= s.recorded.Load() {
		return nil
	}
	until := time.Unix(exp.Unix(), 0).Add(signedAhead).UTC()
	if err := st.RecordSigned(ctx, s.kid, until); err != nil {
		return err
	}
	s.recorded.Store(until.Unix())
	return nil
}

// Sign signs the access token c with the active key, once the key's
// recorded SignedUntil covers c's exp (gatehouse.KeyStore.RecordSigned:
// about one write a minute, not one per token). A key that another
// process revoked (or deleted) since the last Reload is not used: the
// keyring reloads and signs with the key that replaced it.
func (k *Keyring) Sign(ctx context.Context, c *gatehouse.Claims) (string, error) {
	for attempt := 0; ; attempt++ {
		s := k.current().active
		err := s.cover(ctx, k.store, c.ExpiresAt)
		if errors.Is(err, gatehouse.ErrNotFound) && attempt == 0 {
			if err := k.Reload(ctx); err != nil {
				return "", err
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("record the use of signing key %s: %w", s.kid, err)
		}
		return s.signer.Sign(c)
	}
}
