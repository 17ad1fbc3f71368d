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

// sealAttempts bounds the retries of a sealing that other processes keep
// overtaking (a rotation between the read and the write).
const sealAttempts = 10

// CheckKEK is ErrWrongKEK when the store's keys are sealed under another
// KEK than kek (a store whose keys are not sealed yet takes any).
func CheckKEK(ctx context.Context, store gatehouse.KeyStore, kek *token.KEK) error {
	p, _, err := store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load key policy: %w", err)
	}
	if p.KEKID != "" && p.KEKID != kek.ID() {
		return fmt.Errorf("%w: they are sealed under %s; this process has %s", ErrWrongKEK, p.KEKID, kek.ID())
	}
	return nil
}

// adoptKEK makes the keyring's KEK the store's when the store has none yet
// (a new database, or one from before keys were sealed: its keys, stored
// in the clear, are sealed in the same atomic write). ErrWrongKEK when the
// store's keys are sealed under another KEK.
func (k *Keyring) adoptKEK(ctx context.Context) error {
	for range sealAttempts {
		p, stored, err := k.store.SigningKeys(ctx)
		if err != nil {
			return fmt.Errorf("load signing keys: %w", err)
		}
		switch p.KEKID {
		case k.kek.ID():
			return nil
		case "":
		default:
			return fmt.Errorf("%w: they are sealed under %s; this process has %s (give the store's key-encryption key, or rewrap the keys to this one with `gatehouse keys rewrap`)",
				ErrWrongKEK, p.KEKID, k.kek.ID())
		}
		n, err := k.seal(ctx, "", nil, stored)
		if errors.Is(err, gatehouse.ErrStale) || errors.Is(err, gatehouse.ErrNotFound) {
			continue // another process sealed or changed them first: look again
		}
		if err != nil {
			return err
		}
		if n > 0 {
			k.log.Warn("signing keys stored in the clear are now sealed under the key-encryption key; back the key-encryption key up apart from the database",
				"keys", n, "kek_id", k.kek.ID())
			k.record(ctx, gatehouse.EventKeyRewrapped, fmt.Sprintf("%d signing keys stored in the clear sealed under key-encryption key %s", n, k.kek.ID()))
		}
		return nil
	}
	return errors.New("session: sealing the signing keys kept losing to other processes")
}

// seal seals stored (opened with from) under the keyring's KEK, in one
// conditional write from the KEK fromID. It returns how many private keys
// it sealed.
func (k *Keyring) seal(ctx context.Context, fromID string, from *token.KEK, stored []*gatehouse.SigningKey) (int, error) {
	out := make([]*gatehouse.SigningKey, 0, len(stored))
	n := 0
	for _, sk := range stored {
		r, err := token.Reseal(sk, from, k.kek)
		if err != nil {
			return 0, fmt.Errorf("seal signing key %s: %w", sk.ID, err)
		}
		if len(r.PrivateKey) > 0 {
			n++
		}
		out = append(out, r)
	}
	err := k.store.SealSigningKeys(ctx, &gatehouse.KeySealing{From: fromID, To: k.kek.ID(), Keys: out})
	if err != nil {
		return 0, fmt.Errorf("seal signing keys: %w", err)
	}
	return n, nil
}

// RewrapKeys moves every stored private key from the KEK from (the one
// they are sealed under) to the KEK to, in one atomic write, retried when
// another process changes the keys in between; from then on keys are
// created under to only. It returns how many private keys it resealed (0,
// and no error, when they are under to already). Running servers keep the
// keys they opened; they take up keys created after the rewrap only once
// they are given the new KEK (docs/keys.md).
func RewrapKeys(ctx context.Context, store gatehouse.KeyStore, from, to *token.KEK, cfg KeyringConfig) (int, error) {
	if from == nil || to == nil {
		return 0, errors.New("session: a rewrap needs the current and the new key-encryption key")
	}
	k := &Keyring{store: store, kek: to, now: cfg.Now, log: cfg.Logger, audit: cfg.Audit}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.now == nil {
		k.now = time.Now
	}
	for range sealAttempts {
		p, stored, err := store.SigningKeys(ctx)
		if err != nil {
			return 0, fmt.Errorf("load signing keys: %w", err)
		}
		switch p.KEKID {
		case to.ID():
			return 0, nil
		case from.ID(), "":
		default:
			return 0, fmt.Errorf("%w: they are sealed under %s, not under the current key-encryption key given (%s)", ErrWrongKEK, p.KEKID, from.ID())
		}
		n, err := k.seal(ctx, p.KEKID, from, stored)
		if errors.Is(err, gatehouse.ErrStale) || errors.Is(err, gatehouse.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		k.log.Warn("signing keys rewrapped", "keys", n, "from_kek_id", p.KEKID, "to_kek_id", to.ID())
		k.record(ctx, gatehouse.EventKeyRewrapped, fmt.Sprintf("%d signing keys rewrapped from key-encryption key %s to %s", n, p.KEKID, to.ID()))
		return n, nil
	}
	return 0, errors.New("session: the rewrap kept losing to other processes changing the keys")
}
