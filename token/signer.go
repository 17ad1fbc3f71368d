package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse"
)

// Signer mints access tokens with one signing key. It is safe for
// concurrent use.
type Signer struct {
	key    *Key
	header string // base64url of the JOSE header, the same for every token
}

// NewSigner returns a signer for k, which must hold its private part.
func NewSigner(k *Key) (*Signer, error) {
	if k == nil || !k.CanSign() {
		return nil, errors.New("token: a signer needs a private key")
	}
	h := `{"alg":"` + string(k.Algorithm()) + `","typ":"at+jwt","kid":"` + k.ID() + `"}`
	return &Signer{key: k, header: base64.RawURLEncoding.EncodeToString([]byte(h))}, nil
}

// Key returns the signing key.
func (s *Signer) Key() *Key { return s.key }

// wireClaims is the payload of an access token, in the order it is written.
type wireClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	Aud      any    `json:"aud"` // a string when there is one audience, else an array
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	Nbf      int64  `json:"nbf,omitempty"`
	Jti      string `json:"jti"`
	ClientID string `json:"client_id"`
	Sid      string `json:"sid,omitempty"`
	Scope    string `json:"scope,omitempty"`
	AuthTime int64  `json:"auth_time,omitempty"`
	Username string `json:"preferred_username,omitempty"`
}

// Sign returns the signed access token (compact JWS) of c. It refuses claims
// that its verifier would refuse: a missing iss, sub, aud, jti, client_id,
// exp or iat, times before 1970, strings that are not UTF-8, scope tokens
// that are not RFC 6749 scope tokens, and custom claims that are not strict
// JSON. A custom claim with a reserved name is ErrReservedClaim. Times are
// written in whole seconds.
func (s *Signer) Sign(c *gatehouse.Claims) (string, error) {
	payload, err := encodeClaims(c)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(s.header) + base64.RawURLEncoding.EncodedLen(len(payload)) + 350)
	b.WriteString(s.header)
	b.WriteByte('.')
	b.WriteString(base64.RawURLEncoding.EncodeToString(payload))
	sig, err := s.key.sign([]byte(b.String()))
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	b.WriteByte('.')
	b.WriteString(base64.RawURLEncoding.EncodeToString(sig))
	return b.String(), nil
}

func encodeClaims(c *gatehouse.Claims) ([]byte, error) {
	if c == nil {
		return nil, errors.New("token: nil claims")
	}
	for _, f := range []struct{ name, v string }{
		{"iss", c.Issuer}, {"sub", c.Subject}, {"jti", c.ID}, {"client_id", c.ClientID},
	} {
		if f.v == "" {
			return nil, fmt.Errorf("token: claim %s is required", f.name)
		}
	}
	if len(c.Audience) == 0 || slices.Contains(c.Audience, "") {
		return nil, errors.New("token: claim aud is required and its values non-empty")
	}
	for _, v := range append([]string{c.Issuer, c.Subject, c.ID, c.ClientID, c.SessionID, c.Username}, c.Audience...) {
		if !utf8.ValidString(v) {
			return nil, errors.New("token: claim value is not UTF-8")
		}
	}
	for _, sc := range c.Scopes {
		if !gatehouse.ValidScopeToken(sc) {
			return nil, fmt.Errorf("token: %q is not a scope token", sc)
		}
	}
	w := wireClaims{
		Iss: c.Issuer, Sub: c.Subject, Jti: c.ID, ClientID: c.ClientID, Sid: c.SessionID,
		Scope: gatehouse.FormatScope(c.Scopes), Username: c.Username,
	}
	if len(c.Audience) == 1 {
		w.Aud = c.Audience[0]
	} else {
		w.Aud = c.Audience
	}
	var err error
	if w.Exp, err = numericDate("exp", c.ExpiresAt, true); err != nil {
		return nil, err
	}
	if w.Iat, err = numericDate("iat", c.IssuedAt, true); err != nil {
		return nil, err
	}
	if w.Nbf, err = numericDate("nbf", c.NotBefore, false); err != nil {
		return nil, err
	}
	if w.AuthTime, err = numericDate("auth_time", c.AuthTime, false); err != nil {
		return nil, err
	}
	out, err := json.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("token: encode claims: %w", err)
	}
	if len(c.Extra) == 0 {
		return out, nil
	}
	return appendExtra(out, c.Extra)
}

// numericDate returns t in seconds since 1970 (0 for a zero optional t).
func numericDate(name string, t time.Time, required bool) (int64, error) {
	switch {
	case t.IsZero() && required:
		return 0, fmt.Errorf("token: claim %s is required", name)
	case t.IsZero():
		return 0, nil
	case t.Unix() <= 0 || t.Unix() > maxNumericDate:
		return 0, fmt.Errorf("token: claim %s is out of range", name)
	}
	return t.Unix(), nil
}

// appendExtra adds the custom claims, sorted by name, to the object out.
func appendExtra(out []byte, extra map[string]json.RawMessage) ([]byte, error) {
	names := make([]string, 0, len(extra))
	for n := range extra {
		if gatehouse.IsReservedClaim(n) {
			return nil, fmt.Errorf("%w: %q", ErrReservedClaim, n)
		}
		if n == "" || !utf8.ValidString(n) {
			return nil, errors.New("token: custom claim name is empty or not UTF-8")
		}
		// Names equal under case folding are duplicates to the verifier.
		if i := slices.IndexFunc(names, func(m string) bool { return strings.EqualFold(m, n) }); i >= 0 {
			return nil, fmt.Errorf("token: custom claims %q and %q differ only by case", names[i], n)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	buf := bytes.NewBuffer(out[:len(out)-1]) // drop the closing brace
	for _, n := range names {
		v := extra[n]
		if !validValue(v) {
			return nil, fmt.Errorf("token: custom claim %q is not strict JSON", n)
		}
		name, _ := json.Marshal(n)
		buf.WriteByte(',')
		buf.Write(name)
		buf.WriteByte(':')
		if err := json.Compact(buf, v); err != nil {
			return nil, fmt.Errorf("token: custom claim %q: %w", n, err)
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
