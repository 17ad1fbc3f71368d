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
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/token"
)

// KeyringConfig configures a Keyring.
type KeyringConfig struct {
	// KEK seals the private keys in the store and opens them; required.
	KEK    *token.KEK
	Now    func() time.Time
	Logger *slog.Logger
	// Audit records rotations, revocations and changes of the key policy;
	// nil records none.
	Audit *audit.Recorder
}

// ErrWrongKEK: the store's keys are sealed under another key-encryption
// key than this process's. Nothing was written.
var ErrWrongKEK = errors.New("session: the signing keys are sealed under another key-encryption key")

// Keyring holds the signing keys kept in the store (docs/keys.md): the
// active key that signs, the next key that is published before it signs,
// and retired keys, published until every token they signed has expired.
// Every process sharing the store loads the same keys and the same key
// policy, so a rotation, a revocation or a change of policy made by one
// (a replica, the command line) reaches all on their next Reload; the
// writes are conditional, so replicas never disagree on the active key.
//
// Private keys are sealed under the key-encryption key (KEK) in the store;
// the keyring opens only the active one, and builds the key set and the
// JWKS from the public halves.
type Keyring struct {
	store gatehouse.KeyStore
	kek   *token.KEK
	now   func() time.Time
	log   *slog.Logger
	audit *audit.Recorder

	lastReload atomic.Int64 // unix nanoseconds of the last reload forced by an unknown kid
	otherKEK   atomic.Bool  // the store's KEK is another (a rewrap): logged once

	mu        sync.RWMutex
	view      *keyView
	verifiers []*token.Verifier
	public    map[string]*token.Key // by kid: the verifying half of each published key
	signers   map[string]*signingKey
	unopened  string // kid of an active key this process could not open, logged once

	revocations RevocationCounters
}

// keyView is what one Reload read and built.
type keyView struct {
	policy gatehouse.KeyPolicy
	keys   []*gatehouse.SigningKey // as stored, newest first
	active *signingKey
	set    *token.KeySet
	jwks   []byte
}

// LoadKeyring loads the keys from store. The first process holding a KEK
// seals any key stored in the clear (a database from before keys were
// sealed) and makes its KEK the store's; a store whose keys are sealed
// under another KEK is ErrWrongKEK. It then creates the active and next
// keys when the store has none (two processes starting at once on an empty
// store end up with one pair: InitSigningKeys is atomic).
func LoadKeyring(ctx context.Context, store gatehouse.KeyStore, cfg KeyringConfig) (*Keyring, error) {
	if cfg.KEK == nil {
		return nil, errors.New("session: a keyring needs a key-encryption key")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	k := &Keyring{
		store: store, kek: cfg.KEK, now: cfg.Now, log: cfg.Logger, audit: cfg.Audit,
		public: map[string]*token.Key{}, signers: map[string]*signingKey{},
		revocations: NewRevocationCounters(CauseKeyRevoked),
	}
	if err := k.adoptKEK(ctx); err != nil {
		return nil, err
	}
	p, keys, err := store.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if len(keys) == 0 {
		now := k.now()
		active, err := k.generate(token.Algorithm(p.Algorithm), gatehouse.KeyActive, now)
		if err != nil {
			return nil, err
		}
		next, err := k.generate(token.Algorithm(p.Algorithm), gatehouse.KeyNext, now)
		if err != nil {
			return nil, err
		}
		created, err := store.InitSigningKeys(ctx, active, next)
		if errors.Is(err, gatehouse.ErrStale) {
			return nil, fmt.Errorf("%w (the store's KEK changed while the keys were created)", ErrWrongKEK)
		}
		if err != nil {
			return nil, fmt.Errorf("create signing keys: %w", err)
		}
		if created {
			k.log.Info("signing keys created", "alg", p.Algorithm, "active_kid", active.ID, "next_kid", next.ID,
				"next_signs_from", p.NextSignsFrom(next))
		}
	}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// generate returns a new key of alg in state, sealed under the KEK.
func (k *Keyring) generate(alg token.Algorithm, state gatehouse.KeyState, now time.Time) (*gatehouse.SigningKey, error) {
	key, err := token.GenerateKey(alg)
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", alg, err)
	}
	return token.SealKey(key, k.kek, state, now)
}

// current is the view of the last Reload.
func (k *Keyring) current() *keyView {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.view
}

// ActiveKey returns the key that signs.
func (k *Keyring) ActiveKey() *token.Key { return k.current().active.signer.Key() }

// KeySet returns the keys tokens are verified with: the next, the active
// and the retired keys still published, public halves only (an HS256
// key, never generated by the keyring, holds its secret).
func (k *Keyring) KeySet() *token.KeySet { return k.current().set }

// JWKS returns the JWKS document of KeySet and how long a verifier may
// cache it (the key policy's JWKSMaxAge).
func (k *Keyring) JWKS() ([]byte, time.Duration) {
	v := k.current()
	return v.jwks, v.policy.JWKSMaxAge
}

// Policy returns the key policy as of the last Reload.
func (k *Keyring) Policy() gatehouse.KeyPolicy { return k.current().policy }

// Keys returns the stored keys as of the last Reload, newest first. Their
// private parts are sealed; callers show them, never use them.
func (k *Keyring) Keys() []*gatehouse.SigningKey { return k.current().keys }

// Verifier returns a verifier over the keyring's keys that follows every
// Reload.
func (k *Keyring) Verifier(opts token.Options) (*token.Verifier, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, err := token.NewVerifier(k.view.set, opts)
	if err != nil {
		return nil, err
	}
	k.verifiers = append(k.verifiers, v)
	return v, nil
}

// Reload reads the keys and the policy from the store again and installs
// them. It fails closed: a store without exactly one active key, or a key
// that does not parse, is an error and the previous keys stay in use. An
// active key this process cannot open (sealed under a KEK it does not
// have, after a rewrap) leaves it signing with the key it had, while that
// key is still published, and is logged.
func (k *Keyring) Reload(ctx context.Context) error {
	p, stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	return k.install(p, stored)
}

func (k *Keyring) install(p *gatehouse.KeyPolicy, stored []*gatehouse.SigningKey) error {
	now := k.now()
	var (
		keys   []*token.Key
		active *gatehouse.SigningKey
		public = make(map[string]*token.Key, len(stored))
	)
	k.mu.RLock()
	cached := k.public
	k.mu.RUnlock()
	for _, sk := range stored {
		if !sk.Published(now) {
			continue
		}
		if sk.State == gatehouse.KeyActive {
			if active != nil {
				return errors.New("signing keys: more than one active key")
			}
			active = sk
		}
		pub, ok := cached[sk.ID]
		if !ok || string(pub.Algorithm()) != sk.Algorithm {
			var err error
			if pub, err = k.verifyingKey(sk); err != nil {
				return fmt.Errorf("signing key %s: %w", sk.ID, err)
			}
		}
		public[sk.ID] = pub
		keys = append(keys, pub)
	}
	if active == nil {
		return errors.New("signing keys: no active key")
	}
	set, err := token.NewKeySet(keys...)
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	doc, err := set.JWKS()
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	signer, err := k.signerLocked(active)
	if err != nil {
		// Keep signing with the key this process has while it is published:
		// its tokens verify everywhere. Say so once per key.
		if k.view == nil || !publishedIn(set, k.view.active) {
			return fmt.Errorf("open the active signing key %s: %w", active.ID, err)
		}
		if k.unopened != active.ID {
			k.unopened = active.ID
			k.log.Error("cannot open the active signing key; signing with the previous one until this process has the store's key-encryption key",
				"kid", active.ID, "kek_id", active.KEKID, "signing_kid", k.view.active.kid, "err", err)
		}
		signer = k.view.active
	}
	if k.view == nil || k.view.active.kid != signer.kid {
		k.log.Info("signing key in use", "kid", signer.kid, "alg", signer.signer.Key().Algorithm())
	}
	k.view = &keyView{policy: *p, keys: stored, active: signer, set: set, jwks: doc}
	k.public = public
	for kid := range k.signers {
		if kid != signer.kid {
			delete(k.signers, kid)
		}
	}
	for _, v := range k.verifiers {
		v.SetKeys(set)
	}
	return nil
}

// publishedIn reports whether the key of s is in set.
func publishedIn(set *token.KeySet, s *signingKey) bool {
	if s == nil {
		return false
	}
	_, ok := set.Key(s.kid)
	return ok
}

// verifyingKey returns the key that verifies the tokens of sk: its public
// half as stored, or, for a key stored without one (HS256, or a row from
// before keys were sealed), the key opened with the KEK.
func (k *Keyring) verifyingKey(sk *gatehouse.SigningKey) (*token.Key, error) {
	if len(sk.PublicKey) > 0 {
		return token.PublicFromStored(sk)
	}
	key, err := token.OpenKey(sk, k.kek)
	if err != nil {
		return nil, err
	}
	if pub := key.Public(); pub != nil {
		return pub, nil
	}
	return key, nil
}

// signerLocked returns the signing key of the stored active key sk,
// opening it the first time. k.mu is held.
func (k *Keyring) signerLocked(sk *gatehouse.SigningKey) (*signingKey, error) {
	if s, ok := k.signers[sk.ID]; ok {
		return s, nil
	}
	key, err := token.OpenKey(sk, k.kek)
	if err != nil {
		return nil, err
	}
	signer, err := token.NewSigner(key)
	if err != nil {
		return nil, err
	}
	s := &signingKey{kid: sk.ID, signer: signer}
	s.recorded.Store(sk.SignedUntil.Unix())
	k.signers[sk.ID] = s
	return s, nil
}

// Run keeps the keys in step with the store until ctx ends: every
// interval it reloads them and does what the policy asks (Maintain). A
// failure is logged and the previous keys stay in use.
func (k *Keyring) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// An unavailable store is logged where it fails, at most once
			// per cause and interval (store/resilient), not every tick.
			if err := k.Maintain(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, gatehouse.ErrUnavailable) {
				k.log.Error("signing keys", "err", err)
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
	now := k.now().UnixNano()
	last := k.lastReload.Load()
	if now-last < int64(unknownKidReloadEvery) || !k.lastReload.CompareAndSwap(last, now) {
		return false
	}
	if err := k.Reload(ctx); err != nil {
		k.log.ErrorContext(ctx, "reload signing keys after an unknown kid", "err", err)
		return false
	}
	return true
}
