package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Key is one key pinned to exactly one algorithm. Its private part is
// optional: a Key read from a JWKS only verifies. A Key is immutable and
// safe for concurrent use.
type Key struct {
	alg Algorithm
	kid string

	// Exactly one group is set, by algorithm.
	ec     *ecdsa.PublicKey
	ecPriv *ecdsa.PrivateKey
	ed     ed25519.PublicKey
	edPriv ed25519.PrivateKey
	rs     *rsa.PublicKey
	rsPriv *rsa.PrivateKey
	secret []byte     // HS256
	macs   *sync.Pool // of HMAC-SHA-256 states keyed with secret, reused across verifications
}

// GenerateKey returns a new random signing key for alg: a P-256 key for
// ES256, an Ed25519 key for EdDSA, a 2048-bit key for RS256 and 32 random
// bytes for HS256.
func GenerateKey(alg Algorithm) (*Key, error) {
	var k any
	var err error
	switch alg {
	case ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case RS256:
		k, err = rsa.GenerateKey(rand.Reader, minRSABits)
	case HS256:
		b := make([]byte, minHMACBytes)
		_, err = rand.Read(b)
		k = b
	default:
		return nil, fmt.Errorf("token: unsupported algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("token: generate %s key: %w", alg, err)
	}
	return NewKey(alg, k)
}

// NewKey pins k to alg. Accepted: *ecdsa.PrivateKey or *ecdsa.PublicKey on
// P-256 for ES256; ed25519.PrivateKey or ed25519.PublicKey for EdDSA;
// *rsa.PrivateKey or *rsa.PublicKey of 2048 to 8192 bits for RS256; a
// []byte secret of at least 32 bytes for HS256. Slices are copied.
func NewKey(alg Algorithm, k any) (*Key, error) {
	key := &Key{alg: alg}
	switch alg {
	case ES256:
		switch k := k.(type) {
		case *ecdsa.PrivateKey:
			if k == nil {
				return nil, errors.New("token: nil ECDSA key")
			}
			key.ecPriv, key.ec = k, &k.PublicKey
		case *ecdsa.PublicKey:
			key.ec = k
		default:
			return nil, fmt.Errorf("token: ES256 needs an ECDSA P-256 key, not %T", k)
		}
		if err := checkP256(key.ec); err != nil {
			return nil, err
		}
	case EdDSA:
		switch k := k.(type) {
		case ed25519.PrivateKey:
			if len(k) != ed25519.PrivateKeySize {
				return nil, errors.New("token: Ed25519 private key has the wrong size")
			}
			key.edPriv = slices.Clone(k)
			key.ed = key.edPriv.Public().(ed25519.PublicKey)
		case ed25519.PublicKey:
			if len(k) != ed25519.PublicKeySize {
				return nil, errors.New("token: Ed25519 public key has the wrong size")
			}
			key.ed = slices.Clone(k)
		default:
			return nil, fmt.Errorf("token: EdDSA needs an Ed25519 key, not %T", k)
		}
	case RS256:
		switch k := k.(type) {
		case *rsa.PrivateKey:
			if k == nil {
				return nil, errors.New("token: nil RSA key")
			}
			if err := k.Validate(); err != nil {
				return nil, fmt.Errorf("token: RSA key: %w", err)
			}
			key.rsPriv, key.rs = k, &k.PublicKey
		case *rsa.PublicKey:
			key.rs = k
		default:
			return nil, fmt.Errorf("token: RS256 needs an RSA key, not %T", k)
		}
		if err := checkRSA(key.rs); err != nil {
			return nil, err
		}
	case HS256:
		b, ok := k.([]byte)
		if !ok {
			return nil, fmt.Errorf("token: HS256 needs a []byte secret, not %T", k)
		}
		if len(b) < minHMACBytes || len(b) > maxHMACBytes {
			return nil, fmt.Errorf("token: HS256 secret must be %d to %d bytes, not %d", minHMACBytes, maxHMACBytes, len(b))
		}
		key.secret = slices.Clone(b)
		key.macs = &sync.Pool{New: func() any { return hmac.New(sha256.New, key.secret) }}
	default:
		return nil, fmt.Errorf("token: unsupported algorithm %q", alg)
	}
	kid, err := thumbprint(key)
	if err != nil {
		return nil, err
	}
	key.kid = kid
	return key, nil
}

func checkP256(pub *ecdsa.PublicKey) error {
	if pub == nil || pub.Curve != elliptic.P256() {
		return errors.New("token: ES256 needs a key on P-256")
	}
	b, err := pub.Bytes()
	if err != nil {
		return fmt.Errorf("token: ECDSA public key: %w", err)
	}
	if _, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b); err != nil {
		return fmt.Errorf("token: ECDSA public key: %w", err)
	}
	return nil
}

func checkRSA(pub *rsa.PublicKey) error {
	if pub == nil || pub.N == nil {
		return errors.New("token: nil RSA key")
	}
	if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
		return fmt.Errorf("token: RSA key of %d bits; need %d to %d", bits, minRSABits, maxRSABits)
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return errors.New("token: RSA public exponent must be odd and at least 3")
	}
	return nil
}

// ID returns the key's kid: its RFC 7638 JWK thumbprint (SHA-256), base64url.
func (k *Key) ID() string { return k.kid }

// Algorithm returns the only algorithm the key signs and verifies with.
func (k *Key) Algorithm() Algorithm { return k.alg }

// CanSign reports whether the key holds its private part (or secret).
func (k *Key) CanSign() bool {
	return k.ecPriv != nil || k.edPriv != nil || k.rsPriv != nil || k.secret != nil
}

// Public returns the public half of the key, which verifies but cannot
// sign. It is nil for HS256: a secret is never published.
func (k *Key) Public() *Key {
	switch {
	case k.alg == HS256:
		return nil
	case !k.CanSign():
		return k
	}
	return &Key{alg: k.alg, kid: k.kid, ec: k.ec, ed: k.ed, rs: k.rs}
}
