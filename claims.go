package gatehouse

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Claims are the claims of a Gatehouse access token (RFC 9068 profile).
//
// A *Claims handed out by a verifier may be shared between requests (the
// verified-token cache returns the same value for the same token): treat it
// as read-only.
type Claims struct {
	Issuer    string    // iss
	Subject   string    // sub: the stable user id, never the username
	Audience  []string  // aud
	ExpiresAt time.Time // exp
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf; zero when absent
	ID        string    // jti
	ClientID  string    // client_id
	SessionID string    // sid
	Scopes    []string  // scope, split on spaces
	AuthTime  time.Time // auth_time: when the password was last checked; zero when absent

	// KeyID is the kid of the key that signed the token (from the header).
	KeyID string

	// Extra holds every claim that is not one of the reserved claims above,
	// as raw JSON. Read one with Custom.
	Extra map[string]json.RawMessage
}

// ReservedClaims are the claim names that custom claims may not override.
var ReservedClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "jti",
	"client_id", "sid", "scope", "auth_time",
}

// IsReservedClaim reports whether name is one of ReservedClaims, ignoring
// case: a custom claim "SUB" would be read as "sub" by a consumer that
// matches names case-insensitively (Go's encoding/json does), so verifiers
// refuse such tokens and signers must not make them.
func IsReservedClaim(name string) bool {
	return slices.ContainsFunc(ReservedClaims, func(r string) bool { return strings.EqualFold(r, name) })
}

// HasScope reports whether the token grants scope s.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// Custom decodes the custom claim name into v. It returns ErrNotFound
// (wrapped) when the token has no such claim.
func (c *Claims) Custom(name string, v any) error {
	raw, ok := c.Extra[name]
	if !ok {
		return fmt.Errorf("claim %q: %w", name, ErrNotFound)
	}
	return json.Unmarshal(raw, v)
}
