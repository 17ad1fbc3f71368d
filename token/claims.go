package token

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse"
)

// maxNumericDate is 9999-12-31T23:59:59Z, the last second time.Time
// formats with four digits; later dates are refused.
const maxNumericDate = 253402300799

// decodeClaims reads the members of a verified payload into claims. It
// checks types, not values: ErrClaims for a reserved claim of the wrong
// type or a missing sub, jti, client_id, exp or iat. iss and aud are
// checked by the verifier.
//
// ms are the members of src; strings in the claims share src's memory.
func decodeClaims(ms []jsonMember, src, kid string) (*gatehouse.Claims, error) {
	c := &gatehouse.Claims{KeyID: kid}
	var hasExp, hasIat, hasAud bool
	for i := range ms {
		m := &ms[i]
		ok := true
		name := m.name
		if m.escaped {
			name = []byte(m.key()) // rare: a name written with escapes
		}
		switch string(name) {
		case "iss":
			c.Issuer, ok = m.stringIn(src)
		case "sub":
			c.Subject, ok = m.stringIn(src)
		case "jti":
			c.ID, ok = m.stringIn(src)
		case "client_id":
			c.ClientID, ok = m.stringIn(src)
		case "sid":
			c.SessionID, ok = m.stringIn(src)
		case "preferred_username":
			c.Username, ok = m.stringIn(src)
		case "aud":
			c.Audience, ok = audience(m, src)
			hasAud = true
		case "scope":
			var s string
			if s, ok = m.stringIn(src); ok {
				var err error
				c.Scopes, err = gatehouse.ParseScope(s)
				ok = err == nil
			}
		case "exp":
			c.ExpiresAt, ok = parseNumericDate(m.value)
			hasExp = true
		case "iat":
			c.IssuedAt, ok = parseNumericDate(m.value)
			hasIat = true
		case "nbf":
			c.NotBefore, ok = parseNumericDate(m.value)
		case "auth_time":
			c.AuthTime, ok = parseNumericDate(m.value)
		default:
			if c.Extra == nil {
				c.Extra = make(map[string]json.RawMessage)
			}
			c.Extra[string(name)] = json.RawMessage(m.value)
		}
		if !ok {
			return nil, wrap(ErrClaims, "a reserved claim has the wrong type")
		}
	}
	switch {
	case !hasExp || !hasIat:
		return nil, wrap(ErrClaims, "exp and iat are required")
	case c.Subject == "" || c.ID == "" || c.ClientID == "":
		return nil, wrap(ErrClaims, "sub, jti and client_id are required")
	case !hasAud:
		return nil, wrap(ErrAudience, "aud is missing")
	}
	return c, nil
}

// audience reads aud: a string, or an array of strings.
func audience(m *jsonMember, src string) ([]string, bool) {
	if s, ok := m.stringIn(src); ok {
		return []string{s}, true
	}
	raw := m.value
	var buf [4][]byte
	elems, err := arrayElements(raw, buf[:0])
	if err != nil {
		return nil, false
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		s, ok := jsonString(e)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// parseNumericDate reads an RFC 7519 NumericDate: a JSON number of seconds
// since 1970, possibly fractional, between 1970 and 9999, returned in UTC.
// A string holding a number is not a NumericDate.
func parseNumericDate(raw []byte) (time.Time, bool) {
	if len(raw) == 0 || raw[0] < '0' || raw[0] > '9' {
		return time.Time{}, false // not a number, or negative
	}
	integer := true
	for _, c := range raw {
		if c < '0' || c > '9' {
			integer = false
			break
		}
	}
	if integer && len(raw) <= len("253402300799") {
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n > maxNumericDate {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f < 0 || f > maxNumericDate {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
}
