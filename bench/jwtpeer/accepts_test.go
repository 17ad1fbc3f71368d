package jwtpeer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/token"
	"github.com/golang-jwt/jwt/v5"
)

// TestGolangJWTDefaultsAcceptWhatGatehouseRefuses: each token below breaks
// one rule of the profile and is correctly signed over its exact bytes.
// golang-jwt v5 with default settings (jwt.ParseWithClaims into
// RegisteredClaims with a key function; only the clock is set) accepts it; the token package refuses it with the sentinel named.
func TestGolangJWTDefaultsAcceptWhatGatehouseRefuses(t *testing.T) {
	k := newECKey(t)
	exp, iat := testNow.Add(15*time.Minute).Unix(), testNow.Unix()
	header := `{"alg":"ES256","typ":"at+jwt","kid":"` + k.key.ID() + `"}`
	claims := func(extra string) string {
		return fmt.Sprintf(`{"iss":%q,"sub":"user-1","aud":%q,"exp":%d,"iat":%d,"jti":"j1","client_id":"gatehouse"%s}`,
			testIssuer, testAud, exp, iat, extra)
	}
	withHeader := func(extra string) string {
		return k.forge(t, b64(strings.TrimSuffix(header, "}")+extra+"}"), b64(claims("")))
	}
	tests := []struct {
		name string
		tok  string
		want error
	}{
		{"an unknown crit extension is ignored", withHeader(`,"crit":["urn:example:must-understand"],"urn:example:must-understand":true`), token.ErrHeader},
		{"b64:false is ignored", withHeader(`,"crit":["b64"],"b64":false`), token.ErrHeader},
		{"a jku URL in the header is ignored", withHeader(`,"jku":"https://evil.test/jwks.json"`), token.ErrHeader},
		{"typ is unchecked", k.forge(t, b64(`{"alg":"ES256","typ":"JWT","kid":"`+k.key.ID()+`"}`), b64(claims(""))), token.ErrType},
		{"a missing typ is unchecked", k.forge(t, b64(`{"alg":"ES256","kid":"`+k.key.ID()+`"}`), b64(claims(""))), token.ErrType},
		{"non-zero trailing bits in base64url", k.forge(t, b64(header), dirtyTrailingBits(b64(claims("")))), token.ErrMalformed},
		{"invalid UTF-8 in a claim", k.forge(t, b64(header), b64(claims(`,"name":"caf`+"\xe9"+`"`))), token.ErrMalformed},
		{"a duplicate claim (the last one wins)", k.forge(t, b64(header), b64(claims(`,"sub":"admin"`))), token.ErrMalformed},
		{"a duplicate claim spelled with an escape", k.forge(t, b64(header), b64(claims(`,"s\u0075b":"admin"`))), token.ErrMalformed},
		{"a string exp", k.forge(t, b64(header), b64(strings.Replace(claims(""), fmt.Sprintf(`"exp":%d`, exp), fmt.Sprintf(`"exp":"%d"`, exp), 1))), token.ErrClaims},
		{"a missing exp", k.forge(t, b64(header), b64(strings.Replace(claims(""), fmt.Sprintf(`"exp":%d,`, exp), ``, 1))), token.ErrClaims},
	}
	v := ours(t, k.key)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Only the clock is set, to the tokens' time.
			parsed, err := jwt.ParseWithClaims(tt.tok, &jwt.RegisteredClaims{},
				func(*jwt.Token) (any, error) { return &k.priv.PublicKey, nil },
				jwt.WithTimeFunc(func() time.Time { return testNow }))
			if err != nil || !parsed.Valid {
				t.Fatalf("golang-jwt refused it (%v): the premise of this case no longer holds", err)
			}
			if c, err := v.Verify(tt.tok); c != nil || !errors.Is(err, tt.want) {
				t.Fatalf("token.Verify = %v, %v; want %v", c, err, tt.want)
			}
		})
	}
}

// dirtyTrailingBits sets a trailing bit of the last character of s, whose
// length must not be a multiple of 4: a lax decoder reads the same bytes.
func dirtyTrailingBits(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(s)%4 == 0 {
		panic("dirtyTrailingBits needs a segment with trailing bits")
	}
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last|1])
}
