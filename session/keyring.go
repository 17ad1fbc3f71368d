package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// KeyringConfig configures a Keyring.
type KeyringConfig struct {
	// Algorithm of keys generated from now on; default ES256.
	Algorithm token.Algorithm
	// Retain is how long a retired key stays published and accepted: at
	// least the access-token lifetime plus leeway. Default 15m + 1m.
	Retain time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Keyring holds the signing keys kept in the store: the active key that
// signs, the next key that is published before it signs, and retired keys
// still published while tokens they signed may be alive. Every process
// sharing the store loads the same keys, so a rotation done by one (the CLI
// or another replica) reaches all on their next Reload.
type Keyring struct {
	store gatehouse.KeyStore
	cfg   KeyringConfig

	lastReload atomic.Int64 // unix nanoseconds of the last reload forced by an unknown kid

	mu        sync.RWMutex
	signer    *token.Signer
	set       *token.KeySet
	verifiers []*token.Verifier
}

// LoadKeyring loads the keys from store, first creating the active and next
// keys when the store has none (two processes starting at once on an
// empty store end up with one pair: InitSigningKeys is atomic).
func LoadKeyring(ctx context.Context, store gatehouse.KeyStore, cfg KeyringConfig) (*Keyring, error) {
	if cfg.Algorithm == "" {
		cfg.Algorithm = token.ES256
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 16 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	k := &Keyring{store: store, cfg: cfg}
	keys, err := store.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if len(keys) == 0 {
		active, err := k.generate(gatehouse.KeyActive)
		if err != nil {
			return nil, err
		}
		next, err := k.generate(gatehouse.KeyNext)
		if err != nil {
			return nil, err
		}
		created, err := store.InitSigningKeys(ctx, active, next)
		if err != nil {
			return nil, fmt.Errorf("create signing keys: %w", err)
		}
		if created {
			cfg.Logger.Info("signing keys created", "alg", cfg.Algorithm, "active_kid", active.ID, "next_kid", next.ID)
		}
	}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Keyring) generate(state gatehouse.KeyState) (*gatehouse.SigningKey, error) {
	key, err := token.GenerateKey(k.cfg.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", k.cfg.Algorithm, err)
	}
	return token.StoredKey(key, state, k.cfg.Now())
}

// Signer returns the signer of the active key.
func (k *Keyring) Signer() *token.Signer {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.signer
}

// KeySet returns the keys tokens are verified with: active, next and
// retired keys within Retain. Its JWKS holds only their public halves
// (HS256 keys are never published).
func (k *Keyring) KeySet() *token.KeySet {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.set
}

// Verifier returns a verifier over the keyring's keys that follows every
// Reload.
func (k *Keyring) Verifier(opts token.Options) (*token.Verifier, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, err := token.NewVerifier(k.set, opts)
	if err != nil {
		return nil, err
	}
	k.verifiers = append(k.verifiers, v)
	return v, nil
}

// Reload reads the keys from the store again. It fails closed: a store
// without exactly one active key, or a key that does not parse, is an
// error and the previous keys stay in use.
func (k *Keyring) Reload(ctx context.Context) error {
	stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	now := k.cfg.Now()
	var signer *token.Signer
	var keys []*token.Key
	for _, sk := range stored {
		if sk.State == gatehouse.KeyRetired && !now.Before(sk.RetiredAt.Add(k.cfg.Retain)) {
			continue
		}
		key, err := token.KeyFromStored(sk)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", sk.ID, err)
		}
		if sk.State == gatehouse.KeyActive {
			if signer != nil {
				return errors.New("signing keys: more than one active key")
			}
			if signer, err = token.NewSigner(key); err != nil {
				return fmt.Errorf("signing key %s: %w", sk.ID, err)
			}
		}
		if pub := key.Public(); pub != nil {
			key = pub
		}
		keys = append(keys, key)
	}
	if signer == nil {
		return errors.New("signing keys: no active key")
	}
	set, err := token.NewKeySet(keys...)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.set == nil || k.signer.Key().ID() != signer.Key().ID() {
		k.cfg.Logger.Info("signing key in use", "kid", signer.Key().ID(), "alg", signer.Key().Algorithm())
	}
	k.signer, k.set = signer, set
	for _, v := range k.verifiers {
		v.SetKeys(set)
	}
	return nil
}

// Rotate makes the next key active, retires the active one and stores a
// new next key, then reloads. Keys retired longer than Retain ago are
// deleted.
func (k *Keyring) Rotate(ctx context.Context) error {
	next, err := k.generate(gatehouse.KeyNext)
	if err != nil {
		return err
	}
	now := k.cfg.Now()
	if err := k.store.RotateSigningKeys(ctx, next, now); err != nil {
		return fmt.Errorf("rotate signing keys: %w", err)
	}
	stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	for _, sk := range stored {
		if sk.State == gatehouse.KeyRetired && !now.Before(sk.RetiredAt.Add(k.cfg.Retain)) {
			if err := k.store.DeleteSigningKey(ctx, sk.ID); err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
				return fmt.Errorf("delete retired key %s: %w", sk.ID, err)
			}
		}
	}
	return k.Reload(ctx)
}

// Run reloads the keys every interval until ctx ends. A failed reload is
// logged and the previous keys stay in use.
func (k *Keyring) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Reload(ctx); err != nil && ctx.Err() == nil {
				k.cfg.Logger.Error("reload signing keys", "err", err)
			}
		}
	}
}

// unknownKidReloadEvery bounds how often a token with an unknown kid makes
// the keyring read the store again, so garbage kids cannot turn into a
// query per request.
const unknownKidReloadEvery = time.Second

// reloadSoon reloads the keys unless a forced reload happened within
// unknownKidReloadEvery; it reports whether it reloaded.
func (k *Keyring) reloadSoon(ctx context.Context) bool {
	now := k.cfg.Now().UnixNano()
	last := k.lastReload.Load()
	if now-last < int64(unknownKidReloadEvery) || !k.lastReload.CompareAndSwap(last, now) {
		return false
	}
	if err := k.Reload(ctx); err != nil {
		k.cfg.Logger.Error("reload signing keys after an unknown kid", "err", err)
		return false
	}
	return true
}
