package token

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse"
)

// MarshalPrivate returns the key's private part for storage: PKCS#8 DER,
// or the raw secret for HS256. It fails for a key that cannot sign.
func (k *Key) MarshalPrivate() ([]byte, error) {
	switch {
	case k.secret != nil:
		return slices.Clone(k.secret), nil
	case k.ecPriv != nil:
		return x509.MarshalPKCS8PrivateKey(k.ecPriv)
	case k.edPriv != nil:
		return x509.MarshalPKCS8PrivateKey(k.edPriv)
	case k.rsPriv != nil:
		return x509.MarshalPKCS8PrivateKey(k.rsPriv)
	}
	return nil, errors.New("token: key has no private part")
}

// ParsePrivateKey reads what MarshalPrivate wrote: PKCS#8 DER for ES256,
// EdDSA and RS256, the raw secret for HS256. The key inside must suit alg.
func ParsePrivateKey(alg Algorithm, der []byte) (*Key, error) {
	if alg == HS256 {
		return NewKey(alg, der)
	}
	if !alg.valid() {
		return nil, fmt.Errorf("token: unsupported algorithm %q", alg)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("token: parse %s private key: %w", alg, err)
	}
	return NewKey(alg, priv)
}

// KeyFromStored returns the key of a stored signing key. It fails when the
// stored id is not the key's thumbprint, so a row cannot claim another key's
// kid.
func KeyFromStored(sk *gatehouse.SigningKey) (*Key, error) {
	if sk == nil {
		return nil, errors.New("token: nil stored key")
	}
	k, err := ParsePrivateKey(Algorithm(sk.Algorithm), sk.PrivateKey)
	if err != nil {
		return nil, err
	}
	if k.ID() != sk.ID {
		return nil, fmt.Errorf("token: stored key id %q is not the key's thumbprint %q", sk.ID, k.ID())
	}
	return k, nil
}

// StoredKey returns the stored form of a signing key in state, created at
// now (and retired at now when state is KeyRetired).
func StoredKey(k *Key, state gatehouse.KeyState, now time.Time) (*gatehouse.SigningKey, error) {
	switch state {
	case gatehouse.KeyNext, gatehouse.KeyActive, gatehouse.KeyRetired:
	default:
		return nil, fmt.Errorf("token: unknown key state %q", state)
	}
	der, err := k.MarshalPrivate()
	if err != nil {
		return nil, err
	}
	sk := &gatehouse.SigningKey{
		ID:         k.ID(),
		Algorithm:  string(k.Algorithm()),
		PrivateKey: der,
		State:      state,
		CreatedAt:  now,
	}
	if state == gatehouse.KeyRetired {
		sk.RetiredAt = now
	}
	return sk, nil
}
