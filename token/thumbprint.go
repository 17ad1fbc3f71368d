package token

import (
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
)

// member is one JSON string member of a JWK.
type member struct{ name, value string }

// requiredMembers returns the RFC 7638 required members of the key's JWK,
// kty included, in lexicographic order of their names. Every value is a
// base64url or ASCII constant, so it needs no JSON escaping.
func requiredMembers(k *Key) []member {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k.alg {
	case ES256:
		var x, y [32]byte
		// The coordinates are the full 32 bytes (RFC 7518 §6.2.1.2).
		raw, _ := k.ec.Bytes() // valid: checked by NewKey
		copy(x[:], raw[1:33])
		copy(y[:], raw[33:65])
		return []member{{"crv", "P-256"}, {"kty", "EC"}, {"x", b64(x[:])}, {"y", b64(y[:])}}
	case EdDSA:
		return []member{{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", b64(k.ed)}}
	case RS256:
		e := big.NewInt(int64(k.rs.E)).Bytes()
		return []member{{"e", b64(e)}, {"kty", "RSA"}, {"n", b64(k.rs.N.Bytes())}}
	case HS256:
		return []member{{"k", b64(k.secret)}, {"kty", "oct"}}
	}
	return nil
}

// writeMembers writes members as the body of a JSON object (no braces).
func writeMembers(b *strings.Builder, ms []member) {
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(m.name)
		b.WriteString(`":"`)
		b.WriteString(m.value)
		b.WriteByte('"')
	}
}

// thumbprint returns the RFC 7638 JWK thumbprint of k with SHA-256,
// base64url-encoded: the key's kid.
func thumbprint(k *Key) (string, error) {
	var b strings.Builder
	b.WriteByte('{')
	writeMembers(&b, requiredMembers(k))
	b.WriteByte('}')
	sum := sha256.Sum256([]byte(b.String()))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}
