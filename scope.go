package gatehouse

import (
	"errors"
	"slices"
	"strings"
)

// ErrInvalidScope is returned by ParseScope for a string that is not an
// RFC 6749 §3.3 scope.
var ErrInvalidScope = errors.New("gatehouse: invalid scope")

// AdminScope opens the admin API.
const AdminScope = "gatehouse:admin"

// ParseScope splits an RFC 6749 §3.3 scope string into its scope tokens,
// in order, without duplicates. The grammar is strict: tokens of the
// characters %x21 / %x23-5B / %x5D-7E separated by exactly one space, no
// leading or trailing space. The empty string is the empty scope.
func ParseScope(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, " ")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if !ValidScopeToken(p) {
			return nil, ErrInvalidScope
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// ValidScopeToken reports whether t is a non-empty RFC 6749 scope-token.
func ValidScopeToken(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}

// FormatScope joins scope tokens with single spaces.
func FormatScope(scopes []string) string { return strings.Join(scopes, " ") }

// ScopeSubset reports whether every token of want is in have.
func ScopeSubset(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// GrantScopes is the scope a login grants: the requested scope if it is a
// subset of what the user has (ErrInvalidScope otherwise), or, when none is
// requested (nil or empty), the user's scopes without AdminScope, which is
// granted only when asked for by name.
func GrantScopes(requested, userScopes []string) ([]string, error) {
	if len(requested) == 0 {
		out := make([]string, 0, len(userScopes))
		for _, s := range userScopes {
			if s != AdminScope {
				out = append(out, s)
			}
		}
		return out, nil
	}
	if !ScopeSubset(requested, userScopes) {
		return nil, ErrInvalidScope
	}
	return slices.Clone(requested), nil
}

// ScopesRemoved reports whether some scope of before is not in after.
func ScopesRemoved(before, after []string) bool { return !ScopeSubset(before, after) }

// IntersectScopes returns the scopes of granted that have still has, in
// granted's order: what a token still grants after scopes were taken away.
func IntersectScopes(granted, has []string) []string {
	out := make([]string, 0, len(granted))
	for _, s := range granted {
		if slices.Contains(has, s) {
			out = append(out, s)
		}
	}
	return out
}

// BoundByClient returns the scopes of has that a client allowing allowed
// may carry, in has's order: a login or refresh through the client grants
// from these only. An empty allowed bounds nothing.
func BoundByClient(has, allowed []string) []string {
	if len(allowed) == 0 {
		return has
	}
	return IntersectScopes(has, allowed)
}

// GrantClientScopes is the scope of a client's own token
// (client_credentials): the requested scope if every token of it is one of
// the client's (ErrInvalidScope otherwise), or all of the client's scopes
// when none is requested. AdminScope is never granted to a client's own
// token (ErrInvalidScope when requested): the admin API is about users.
func GrantClientScopes(requested, clientScopes []string) ([]string, error) {
	if len(requested) == 0 {
		out := make([]string, 0, len(clientScopes))
		for _, s := range clientScopes {
			if s != AdminScope {
				out = append(out, s)
			}
		}
		return out, nil
	}
	if slices.Contains(requested, AdminScope) || !ScopeSubset(requested, clientScopes) {
		return nil, ErrInvalidScope
	}
	return slices.Clone(requested), nil
}
