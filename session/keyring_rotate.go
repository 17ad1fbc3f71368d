package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// NotReadyError: the next key has not been published for a JWKS cache
// lifetime yet, so it may not sign; nothing was rotated.
type NotReadyError struct {
	KID       string    // the next key
	SignsFrom time.Time // when it may sign (gatehouse.KeyPolicy.NextSignsFrom)
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("session: the next signing key %s may sign from %s, once verifiers' cached key sets hold it",
		e.KID, e.SignsFrom.UTC().Format(time.RFC3339))
}

// ErrKeysChanged: another process rotated, revoked or replaced keys while
// this one acted; nothing was written. Look at the keys again.
var ErrKeysChanged = errors.New("session: the signing keys changed concurrently")

// ErrUnknownKey: no stored key has the kid.
var ErrUnknownKey = fmt.Errorf("session: no such signing key: %w", gatehouse.ErrNotFound)

// KeyPolicyChange is a change of the key policy; nil or empty fields keep
// what is stored.
type KeyPolicyChange struct {
	Algorithm  token.Algorithm
	Rotation   *time.Duration
	JWKSMaxAge *time.Duration
}

// MaxJWKSMaxAge bounds the JWKS cache lifetime: a next key waits that long
// before it signs.
const MaxJWKSMaxAge = 24 * time.Hour

// ValidSigningAlgorithm reports whether the keyring generates keys of alg.
func ValidSigningAlgorithm(alg token.Algorithm) bool {
	switch alg {
	case token.ES256, token.EdDSA, token.RS256:
		return true
	}
	return false
}

// ChangePolicy writes the change to the stored key policy (ApplyKeyPolicy)
// and then Maintains: a new algorithm replaces the next key by one of that
// algorithm at once, which signs a JWKS cache lifetime later (an algorithm
// migration is a rotation). by says who asked. It reports whether the
// policy changed.
func (k *Keyring) ChangePolicy(ctx context.Context, ch KeyPolicyChange, by string) (bool, error) {
	changed, err := ApplyKeyPolicy(ctx, k.store, ch, KeyringConfig{Now: k.now, Logger: k.log, Audit: k.audit}, by)
	if err != nil {
		return false, err
	}
	return changed, k.Maintain(ctx)
}

// ApplyKeyPolicy writes the change to the stored key policy, conditional
// on the policy it read and retried when another process changed it
// first, and logs and audits it (only cfg's Now, Logger and Audit are
// used). A server applies its flags before it loads its keys, so that the
// keys of a new database are of the configured algorithm from the start.
// A shorter JWKS cache lifetime makes the next key wait for the key sets
// served under the longer one, unless there are no keys yet (then no key
// set was ever served). It reports whether the policy changed.
func ApplyKeyPolicy(ctx context.Context, store gatehouse.KeyStore, ch KeyPolicyChange, cfg KeyringConfig, by string) (bool, error) {
	switch {
	case ch.Algorithm != "" && !ValidSigningAlgorithm(ch.Algorithm):
		return false, fmt.Errorf("session: unsupported signing algorithm %q", ch.Algorithm)
	case ch.Rotation != nil && *ch.Rotation < 0:
		return false, errors.New("session: a negative rotation period")
	case ch.JWKSMaxAge != nil && (*ch.JWKSMaxAge < 0 || *ch.JWKSMaxAge > MaxJWKSMaxAge):
		return false, fmt.Errorf("session: JWKS cache lifetime %v is outside [0, %v]", *ch.JWKSMaxAge, MaxJWKSMaxAge)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for attempt := 0; ; attempt++ {
		p, keys, err := store.SigningKeys(ctx)
		if err != nil {
			return false, fmt.Errorf("load key policy: %w", err)
		}
		np := *p
		if ch.Algorithm != "" {
			np.Algorithm = string(ch.Algorithm)
		}
		if ch.Rotation != nil {
			np.Rotation = *ch.Rotation
		}
		if ch.JWKSMaxAge != nil {
			if len(keys) == 0 {
				np.JWKSMaxAge = *ch.JWKSMaxAge
			} else {
				np = np.WithJWKSMaxAge(*ch.JWKSMaxAge, cfg.Now())
			}
		}
		if np == *p {
			return false, nil
		}
		err = store.SetKeyPolicy(ctx, &np)
		if errors.Is(err, gatehouse.ErrStale) && attempt < 10 {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("set key policy: %w", err)
		}
		cfg.Logger.InfoContext(ctx, "key policy changed", "by", by,
			"alg", p.Algorithm+" → "+np.Algorithm, "rotation", p.Rotation.String()+" → "+np.Rotation.String(),
			"jwks_max_age", p.JWKSMaxAge.String()+" → "+np.JWKSMaxAge.String())
		cfg.Audit.Record(ctx, &gatehouse.Event{Kind: gatehouse.EventKeyPolicy,
			Detail: fmt.Sprintf("key policy: algorithm %s, rotation %v, JWKS cache lifetime %v (was %s, %v, %v); by %s",
				np.Algorithm, np.Rotation, np.JWKSMaxAge, p.Algorithm, p.Rotation, p.JWKSMaxAge, by)})
		if np.Algorithm != p.Algorithm && len(keys) > 0 {
			cfg.Logger.WarnContext(ctx, "signing algorithm migration: a key of the new algorithm replaces the next key and signs once verifiers have it",
				"from", p.Algorithm, "to", np.Algorithm)
		}
		return true, nil
	}
}

// Maintain does what the key policy asks of the stored keys, then reloads
// them; Run calls it every interval, on every replica, and the writes are
// conditional, so one replica acts and the others follow:
//   - a next key of another algorithm than the policy's is replaced by one
//     of the policy's (it signs a JWKS cache lifetime later);
//   - the keys rotate when RotationDue: the next key, published for a JWKS
//     cache lifetime at least, signs; the active key retires (its private
//     part destroyed); a new next key is published;
//   - a retired key none of whose tokens is still honoured is deleted.
//
// A process whose KEK is not the store's (a rewrap happened) creates no
// keys: it keeps what it has and says so.
func (k *Keyring) Maintain(ctx context.Context) error {
	p, stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	now := k.now()
	active, next := activeAndNext(stored)
	wrote := false
	var errs []error
	if p.KEKID != k.kek.ID() && p.KEKID != "" && !k.otherKEK.Swap(true) {
		k.log.ErrorContext(ctx, "the signing keys are sealed under another key-encryption key (a rewrap): this process creates and rotates no keys until it is restarted with that one",
			"kek_id", p.KEKID, "this_kek_id", k.kek.ID())
	}
	switch {
	case p.KEKID != k.kek.ID() || active == nil || next == nil:
	case next.Algorithm != p.Algorithm:
		err := k.replaceNext(ctx, p, next, now)
		wrote = err == nil || errors.Is(err, ErrKeysChanged)
		if err != nil && !errors.Is(err, ErrKeysChanged) {
			errs = append(errs, err)
		}
	case p.RotationDue(active, next, now):
		why := "scheduled"
		if active.Algorithm != p.Algorithm {
			why = "algorithm migration to " + p.Algorithm
		}
		err := k.rotate(ctx, p, active, next, now, why)
		wrote = err == nil || errors.Is(err, ErrKeysChanged)
		if err != nil && !errors.Is(err, ErrKeysChanged) {
			errs = append(errs, err)
		}
	}
	for _, sk := range stored {
		if sk.State != gatehouse.KeyRetired || sk.Published(now) {
			continue
		}
		deleted, err := k.store.DeleteRetiredKey(ctx, sk.ID, now.Add(-gatehouse.RevocationMargin))
		if err != nil {
			errs = append(errs, fmt.Errorf("delete retired key %s: %w", sk.ID, err))
			continue
		}
		if deleted {
			wrote = true
			k.log.InfoContext(ctx, "retired signing key deleted: every token it signed has expired", "kid", sk.ID, "signed_until", sk.SignedUntil)
		}
	}
	if wrote {
		errs = append(errs, k.Reload(ctx))
	} else {
		errs = append(errs, k.install(p, stored))
	}
	return errors.Join(errs...)
}

// activeAndNext finds the active and the next key.
func activeAndNext(keys []*gatehouse.SigningKey) (active, next *gatehouse.SigningKey) {
	for _, sk := range keys {
		switch sk.State {
		case gatehouse.KeyActive:
			active = sk
		case gatehouse.KeyNext:
			next = sk
		}
	}
	return active, next
}

// replaceNext replaces the next key by a new one of the policy's
// algorithm. ErrKeysChanged if another process did first.
func (k *Keyring) replaceNext(ctx context.Context, p *gatehouse.KeyPolicy, next *gatehouse.SigningKey, now time.Time) error {
	fresh, err := k.generate(token.Algorithm(p.Algorithm), gatehouse.KeyNext, now)
	if err != nil {
		return err
	}
	err = k.store.ReplaceNextKey(ctx, next.ID, fresh)
	if errors.Is(err, gatehouse.ErrStale) {
		return ErrKeysChanged
	}
	if err != nil {
		return fmt.Errorf("replace the next key: %w", err)
	}
	k.log.WarnContext(ctx, "next signing key replaced by a key of the policy's algorithm; a rotation makes it active once verifiers have it",
		"old_kid", next.ID, "old_alg", next.Algorithm, "kid", fresh.ID, "alg", fresh.Algorithm, "signs_from", p.NextSignsFrom(fresh))
	k.record(ctx, gatehouse.EventKeyRotated, fmt.Sprintf("next key %s (%s) replaced by %s (%s), which signs from %s",
		next.ID, next.Algorithm, fresh.ID, fresh.Algorithm, p.NextSignsFrom(fresh).Format(time.RFC3339)))
	return nil
}

// rotate makes next active, retires active and publishes a new next key.
// ErrKeysChanged if another process did first.
func (k *Keyring) rotate(ctx context.Context, p *gatehouse.KeyPolicy, active, next *gatehouse.SigningKey, now time.Time, why string) error {
	fresh, err := k.generate(token.Algorithm(p.Algorithm), gatehouse.KeyNext, now)
	if err != nil {
		return err
	}
	err = k.store.RotateSigningKeys(ctx, &gatehouse.KeyRotation{ActiveID: active.ID, NextID: next.ID, NewNext: fresh, Now: now})
	if errors.Is(err, gatehouse.ErrStale) {
		return ErrKeysChanged
	}
	if err != nil {
		return fmt.Errorf("rotate signing keys: %w", err)
	}
	k.log.InfoContext(ctx, "signing keys rotated", "why", why, "active_kid", next.ID, "alg", next.Algorithm,
		"retired_kid", active.ID, "next_kid", fresh.ID, "next_signs_from", p.NextSignsFrom(fresh))
	k.record(ctx, gatehouse.EventKeyRotated, fmt.Sprintf("signing keys rotated (%s): %s (%s) active, %s retired, next %s (%s)",
		why, next.ID, next.Algorithm, active.ID, fresh.ID, fresh.Algorithm))
	return nil
}

// Rotate rotates on demand: the next key signs, the active key retires,
// a new next key is published; by says who asked. The next key must have
// been published for a JWKS cache lifetime (*NotReadyError otherwise; when
// it is not of the policy's algorithm, it is replaced first, and that one
// is not ready either). ErrKeysChanged if another process rotated at the
// same time. It returns the kid now active.
func (k *Keyring) Rotate(ctx context.Context, by string) (string, error) {
	p, stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("load signing keys: %w", err)
	}
	if p.KEKID != k.kek.ID() {
		return "", fmt.Errorf("%w: %s; this process has %s", ErrWrongKEK, p.KEKID, k.kek.ID())
	}
	active, next := activeAndNext(stored)
	if active == nil || next == nil {
		return "", errors.New("session: the store has no active or next key")
	}
	now := k.now()
	if next.Algorithm != p.Algorithm {
		if err := k.replaceNext(ctx, p, next, now); err != nil && !errors.Is(err, ErrKeysChanged) {
			return "", err
		}
		if err := k.Reload(ctx); err != nil {
			return "", err
		}
		if _, n := activeAndNext(k.Keys()); n != nil && n.Algorithm == p.Algorithm {
			return "", &NotReadyError{KID: n.ID, SignsFrom: p.NextSignsFrom(n)}
		}
		return "", ErrKeysChanged
	}
	if from := p.NextSignsFrom(next); now.Before(from) {
		return "", &NotReadyError{KID: next.ID, SignsFrom: from}
	}
	if err := k.rotate(ctx, p, active, next, now, "on demand, by "+by); err != nil {
		return "", err
	}
	if err := k.Reload(ctx); err != nil {
		return "", err
	}
	return next.ID, nil
}

// Revoked is what Revoke did.
type Revoked struct {
	Key *gatehouse.SigningKey // the key as it was
	// ForgetAt is when the "kid" feed entry may be forgotten: every token
	// the key signed has expired by then.
	ForgetAt time.Time
	// Active is the kid that signs now.
	Active string
}

// Revoke revokes the key kid at once, in one atomic write: it leaves the
// key set (and the JWKS) and its private part is destroyed; every token it
// signed is refused by the server (session.Manager.Authenticate checks the
// feed, before other processes reload); a "kid" entry in the revocation
// feed tells resource servers to drop it. When it was the active key, the
// next key signs at once, whether or not verifiers have it yet (they fetch
// an unknown kid), and a new next key is published. by says who asked.
// ErrUnknownKey if no stored key has the kid.
func (k *Keyring) Revoke(ctx context.Context, kid, by string) (*Revoked, error) {
	p, stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	found := false
	for _, sk := range stored {
		found = found || sk.ID == kid
	}
	if !found {
		return nil, ErrUnknownKey
	}
	if p.KEKID != k.kek.ID() {
		return nil, fmt.Errorf("%w: %s; this process has %s", ErrWrongKEK, p.KEKID, k.kek.ID())
	}
	now := k.now()
	replacement, err := k.generate(token.Algorithm(p.Algorithm), gatehouse.KeyNext, now)
	if err != nil {
		return nil, err
	}
	old, err := k.store.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: kid, Replacement: replacement, At: now})
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return nil, ErrUnknownKey
	case errors.Is(err, gatehouse.ErrStale):
		return nil, ErrKeysChanged
	case err != nil:
		return nil, fmt.Errorf("revoke signing key %s: %w", kid, err)
	}
	forget := p.KIDForgetAt(now, old.SignedUntil)
	k.revocations.Inc(CauseKeyRevoked)
	k.log.WarnContext(ctx, "signing key revoked: removed from the key set, its tokens refused", "kid", kid, "state", old.State,
		"by", by, "forget_at", forget)
	k.record(ctx, gatehouse.EventKeyRevoked, fmt.Sprintf("signing key %s (%s, %s) revoked by %s; its tokens are refused until %s",
		kid, old.Algorithm, old.State, by, forget.Format(time.RFC3339)))
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	return &Revoked{Key: old, ForgetAt: forget, Active: k.current().active.kid}, nil
}

// record writes an audit event about the keys.
func (k *Keyring) record(ctx context.Context, kind, detail string) {
	k.audit.Record(ctx, &gatehouse.Event{Kind: kind, Detail: detail})
}
