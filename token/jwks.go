package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// JWKS renders the RFC 7517 JWK Set of the set's public keys:
// {"keys":[...]}, each key with its public members and kid, alg and
// "use":"sig". HS256 keys are left out: a secret is never published.
func (s *KeySet) JWKS() ([]byte, error) {
	var b strings.Builder
	b.WriteString(`{"keys":[`)
	n := 0
	for _, k := range s.Keys() {
		if k.Algorithm() == HS256 {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		ms := append(requiredMembers(k), member{"kid", k.ID()}, member{"alg", string(k.Algorithm())}, member{"use", "sig"})
		b.WriteByte('{')
		writeMembers(&b, ms)
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	return []byte(b.String()), nil
}

// privateMembers name private key material, which has no place in a
// published key set.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseJWKS reads a JWK Set strictly: strict JSON (no repeated members, valid
// UTF-8), a "keys" array of objects whose members are strings. Keys whose
// kty or alg Gatehouse does not verify with (or whose use is not "sig") are
// skipped. A key that is kept must be complete and canonical (coordinates
// of full length, minimal RSA integers), carry no private member, and have
// a kid equal to its RFC 7638 thumbprint.
func ParseJWKS(data []byte) (*KeySet, error) {
	doc, err := parseObject(data, nil)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS: %w", err)
	}
	var list []byte
	for i := range doc {
		if doc[i].is("keys") {
			list = doc[i].value
		}
	}
	if list == nil {
		return nil, errors.New("token: JWKS has no keys member")
	}
	elems, err := arrayElements(list, nil)
	if err != nil {
		return nil, errors.New("token: JWKS keys is not an array")
	}
	var keys []*Key
	for i, raw := range elems {
		k, err := parseJWK(raw)
		if err != nil {
			return nil, fmt.Errorf("token: JWKS key %d: %w", i, err)
		}
		if k != nil {
			keys = append(keys, k)
		}
	}
	return NewKeySet(keys...)
}

// parseJWK returns the key of one JWK, or nil for a key to skip.
func parseJWK(raw []byte) (*Key, error) {
	ms, err := parseObject(raw, nil)
	if err != nil {
		return nil, errors.New("not a JSON object")
	}
	f := make(map[string]string, len(ms))
	for i := range ms {
		name := ms[i].key()
		s, ok := jsonString(ms[i].value)
		if !ok {
			if name == "key_ops" || name == "x5c" {
				continue // arrays that a verifier may ignore
			}
			return nil, fmt.Errorf("member %q is not a string", name)
		}
		f[name] = s
	}
	alg := Algorithm(f["alg"])
	if use, ok := f["use"]; ok && use != "sig" {
		return nil, nil
	}
	switch {
	case f["kty"] == "EC" && alg == ES256, f["kty"] == "OKP" && alg == EdDSA, f["kty"] == "RSA" && alg == RS256:
	case f["kty"] == "EC" || f["kty"] == "OKP" || f["kty"] == "RSA":
		if alg == ES256 || alg == EdDSA || alg == RS256 || alg == HS256 {
			return nil, fmt.Errorf("alg %s does not suit kty %s", alg, f["kty"])
		}
		return nil, nil // another algorithm (ES384, PS256, ...) or none
	default:
		return nil, nil // oct, or a key type Gatehouse does not know
	}
	for _, p := range privateMembers {
		if _, ok := f[p]; ok {
			return nil, errors.New("private key material in a public key set")
		}
	}
	pub, err := jwkPublicKey(alg, f)
	if err != nil {
		return nil, err
	}
	k, err := NewKey(alg, pub)
	if err != nil {
		return nil, err
	}
	if f["kid"] != k.ID() {
		return nil, errors.New("kid is not the key's RFC 7638 thumbprint")
	}
	return k, nil
}

// jwkPublicKey decodes the public members of a JWK for alg.
func jwkPublicKey(alg Algorithm, f map[string]string) (any, error) {
	switch alg {
	case ES256:
		if f["crv"] != "P-256" {
			return nil, errors.New("ES256 key not on P-256")
		}
		x, okx := decodeSegment(f["x"])
		y, oky := decodeSegment(f["y"])
		if !okx || !oky || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC coordinates")
		}
		point := append(append([]byte{4}, x...), y...)
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	case EdDSA:
		x, ok := decodeSegment(f["x"])
		if f["crv"] != "Ed25519" || !ok || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key")
		}
		return ed25519.PublicKey(x), nil
	case RS256:
		n, okn := decodeSegment(f["n"])
		e, oke := decodeSegment(f["e"])
		if !okn || !oke || len(n) == 0 || n[0] == 0 || len(e) == 0 || len(e) > 4 || e[0] == 0 {
			return nil, errors.New("bad RSA modulus or exponent")
		}
		exp := new(big.Int).SetBytes(e).Int64()
		if exp > 1<<31-1 {
			return nil, errors.New("RSA exponent too large")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}, nil
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}
