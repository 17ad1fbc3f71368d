package gatehouse

import "time"

// KeyState is where a signing key is in its life.
type KeyState string

const (
	// KeyNext is published in the JWKS but does not sign yet, so verifiers
	// have it before the first token it signs reaches them.
	KeyNext KeyState = "next"
	// KeyActive signs new access tokens. There is exactly one.
	KeyActive KeyState = "active"
	// KeyRetired no longer signs; it is published until every token it
	// signed has expired.
	KeyRetired KeyState = "retired"
)

// SigningKey is a stored signing key.
type SigningKey struct {
	ID         string // kid: the RFC 7638 thumbprint
	Algorithm  string // ES256, EdDSA, RS256 or HS256
	PrivateKey []byte // PKCS#8 DER (the raw secret for HS256)
	State      KeyState
	CreatedAt  time.Time
	// RetiredAt is when the key stopped signing; zero unless retired.
	RetiredAt time.Time
}
