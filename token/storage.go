package token

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse"
)

// MarshalPrivate returns the key's private part: PKCS#8 DER, or the raw
// secret for HS256. It fails for a key that cannot sign. Only SealKey
// stores it, sealed.
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

// MarshalPublic returns the key's public half as PKIX DER. It fails for
// HS256, whose secret has no public half.
func (k *Key) MarshalPublic() ([]byte, error) {
	switch {
	case k.ec != nil:
		return x509.MarshalPKIXPublicKey(k.ec)
	case k.ed != nil:
		return x509.MarshalPKIXPublicKey(k.ed)
	case k.rs != nil:
		return x509.MarshalPKIXPublicKey(k.rs)
	}
	return nil, errors.New("token: key has no public half")
}

// ParsePublicKey reads what MarshalPublic wrote. The key inside must suit
// alg.
func ParsePublicKey(alg Algorithm, der []byte) (*Key, error) {
	if alg == HS256 || !alg.valid() {
		return nil, fmt.Errorf("token: no public key for algorithm %q", alg)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("token: parse %s public key: %w", alg, err)
	}
	return NewKey(alg, pub)
}

// SealKey returns the stored form of k in state, stored at now (and
// activated at now when state is KeyActive): its public half in the clear,
// its private half sealed under kek.
func SealKey(k *Key, kek *KEK, state gatehouse.KeyState, now time.Time) (*gatehouse.SigningKey, error) {
	switch state {
	case gatehouse.KeyNext, gatehouse.KeyActive:
	default:
		return nil, fmt.Errorf("token: a new key is next or active, not %q", state)
	}
	if kek == nil {
		return nil, errors.New("token: sealing a key needs a key-encryption key")
	}
	priv, err := k.MarshalPrivate()
	if err != nil {
		return nil, err
	}
	sk := &gatehouse.SigningKey{
		ID:         k.ID(),
		Algorithm:  string(k.Algorithm()),
		PrivateKey: kek.seal(k.Algorithm(), k.ID(), priv),
		KEKID:      kek.ID(),
		State:      state,
		CreatedAt:  now,
	}
	if k.Algorithm() != HS256 {
		if sk.PublicKey, err = k.MarshalPublic(); err != nil {
			return nil, err
		}
	}
	if state == gatehouse.KeyActive {
		sk.ActivatedAt = now
	}
	return sk, nil
}

// OpenKey returns the signing key of a stored key: its private half opened
// with kek, which must be the KEK named by sk.KEKID (ErrWrongKEK), or, for
// a row stored before keys were sealed (KEKID empty), read as it is. It
// fails for a key whose private part was destroyed, whose stored id is not
// its thumbprint (so a row cannot claim another key's kid), or whose stored
// public half is another key's.
func OpenKey(sk *gatehouse.SigningKey, kek *KEK) (*Key, error) {
	if sk == nil {
		return nil, errors.New("token: nil stored key")
	}
	if len(sk.PrivateKey) == 0 {
		return nil, fmt.Errorf("token: the private part of key %s was destroyed", sk.ID)
	}
	alg := Algorithm(sk.Algorithm)
	plain := sk.PrivateKey
	if sk.KEKID != "" {
		if kek == nil || kek.ID() != sk.KEKID {
			return nil, fmt.Errorf("%w: key %s is sealed under key-encryption key %s", ErrWrongKEK, sk.ID, sk.KEKID)
		}
		var err error
		if plain, err = kek.open(alg, sk.ID, sk.PrivateKey); err != nil {
			return nil, fmt.Errorf("key %s: %w", sk.ID, err)
		}
	}
	k, err := ParsePrivateKey(alg, plain)
	if sk.KEKID != "" {
		clear(plain) // our copy; the stored form stays sealed
	}
	if err != nil {
		return nil, err
	}
	if k.ID() != sk.ID {
		return nil, fmt.Errorf("token: stored key id %q is not the key's thumbprint %q", sk.ID, k.ID())
	}
	if len(sk.PublicKey) > 0 {
		pub, err := ParsePublicKey(alg, sk.PublicKey)
		if err != nil || pub.ID() != k.ID() {
			return nil, fmt.Errorf("token: the stored public half of key %s is not its own", sk.ID)
		}
	}
	return k, nil
}

// PublicFromStored returns the public half of a stored key, for the key
// set and the JWKS, without opening its private half. It fails for a key
// stored without one (HS256, or a row stored before keys were sealed) and
// for a public half whose thumbprint is not the stored id.
func PublicFromStored(sk *gatehouse.SigningKey) (*Key, error) {
	if sk == nil || len(sk.PublicKey) == 0 {
		return nil, errors.New("token: stored key has no public half")
	}
	k, err := ParsePublicKey(Algorithm(sk.Algorithm), sk.PublicKey)
	if err != nil {
		return nil, err
	}
	if k.ID() != sk.ID {
		return nil, fmt.Errorf("token: stored key id %q is not the thumbprint %q of its public half", sk.ID, k.ID())
	}
	return k, nil
}

// Reseal returns sk as it is stored under to: its public half filled in
// and its private half opened (with from; a row stored in the clear needs
// none) and sealed under to. A retired key (it never signs again) and a key
// whose private part is destroyed keep none.
func Reseal(sk *gatehouse.SigningKey, from, to *KEK) (*gatehouse.SigningKey, error) {
	out := *sk
	out.KEKID = to.ID()
	if len(sk.PrivateKey) == 0 || sk.State == gatehouse.KeyRetired {
		out.PrivateKey = nil
		if len(out.PublicKey) == 0 && len(sk.PrivateKey) > 0 && Algorithm(sk.Algorithm) != HS256 {
			k, err := OpenKey(sk, from)
			if err != nil {
				return nil, err
			}
			if out.PublicKey, err = k.MarshalPublic(); err != nil {
				return nil, err
			}
		}
		return &out, nil
	}
	k, err := OpenKey(sk, from)
	if err != nil {
		return nil, err
	}
	priv, err := k.MarshalPrivate()
	if err != nil {
		return nil, err
	}
	out.PrivateKey = to.seal(k.Algorithm(), k.ID(), priv)
	clear(priv)
	if k.Algorithm() != HS256 {
		if out.PublicKey, err = k.MarshalPublic(); err != nil {
			return nil, err
		}
	}
	return &out, nil
}
