package token

// Algorithm is a JWS "alg" value (RFC 7518) that Gatehouse signs with.
type Algorithm string

// The supported algorithms. ES256 is the default: every common verifier has
// it. HS256 is for single-service setups only: its secret both signs and
// verifies, so it is never published.
const (
	ES256 Algorithm = "ES256" // ECDSA P-256 with SHA-256
	EdDSA Algorithm = "EdDSA" // Ed25519
	RS256 Algorithm = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, keys of 2048 bits or more
	HS256 Algorithm = "HS256" // HMAC SHA-256, secrets of 256 bits or more
)

// Limits on key sizes.
const (
	minRSABits   = 2048
	maxRSABits   = 8192 // bounds the cost of one verification
	minHMACBytes = 32
	maxHMACBytes = 1024
)

func (a Algorithm) valid() bool {
	switch a {
	case ES256, EdDSA, RS256, HS256:
		return true
	}
	return false
}
