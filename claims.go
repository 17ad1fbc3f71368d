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
	// Username is preferred_username: the user's name, in tokens of servers
	// that put it there (off by default); empty when absent.
	Username string

	// KeyID is the kid of the key that signed the token (from the header).
	KeyID string

	// Extra holds every claim that is not one of the fields above, as raw
	// JSON: the user's custom claims. Read one with Custom, or all of them
	// into a struct with DecodeCustom.
	Extra map[string]json.RawMessage
}

// ReservedClaims are the claim names that custom claims may not use: those
// Gatehouse mints, and those whose meaning a registry fixes in a way that a
// custom value could falsify for a consumer. A custom claim "SUB" is read
// as "sub" by a consumer that matches names case-insensitively (Go's
// encoding/json does), so the names are compared ignoring case.
//
//   - RFC 7519 §4.1 (registered claim names): iss, sub, aud, exp, nbf,
//     iat, jti.
//   - RFC 9068 §2.2 (access-token claims): client_id, scope, auth_time,
//     acr, amr. Its authorization claims roles, groups and entitlements
//     (§2.2.3.1) are not reserved: they are the user attributes custom
//     claims are for.
//   - What Gatehouse mints besides: sid (the session, as in OpenID
//     Connect), preferred_username (with the server's option).
//   - Claims that change how a token is to be trusted or whom it speaks
//     for: cnf (RFC 7800, proof of possession), act and may_act (RFC 8693,
//     delegation), azp, nonce, at_hash and c_hash (OpenID Connect Core).
var ReservedClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "jti",
	"client_id", "scope", "auth_time", "acr", "amr",
	"sid", "preferred_username",
	"cnf", "act", "may_act", "azp", "nonce", "at_hash", "c_hash",
}

// IsReservedClaim reports whether name is one of ReservedClaims, ignoring
// case.
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

// DecodeCustom decodes every custom claim into v, as encoding/json decodes
// one JSON object holding them: a struct with json tags picks the claims
// it names and leaves the others. The reserved claims are not part of it.
func (c *Claims) DecodeCustom(v any) error {
	b, err := json.Marshal(c.Extra)
	if err != nil {
		return fmt.Errorf("custom claims: %w", err)
	}
	return json.Unmarshal(b, v)
}
