package token

import (
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
)

// The verification rules, one case each. Every refused token is signed
// correctly over its exact bytes, so the rule named, not the signature, is
// what refuses it.
func TestVerifyRules(t *testing.T) {
	k := mustKey(t, ES256)
	other := mustKey(t, ES256)
	v := mustVerifier(t, k.Public())
	hdr := stdHeader(k)
	withHeader := func(h string) func() string {
		return func() string { return forge(t, k, h, stdPayload(t, nil)) }
	}
	withClaims := func(change map[string]any) func() string {
		return func() string { return forge(t, k, hdr, stdPayload(t, change)) }
	}
	withPayload := func(p string) func() string {
		return func() string { return forge(t, k, hdr, p) }
	}
	withPayloadSegment := func(edit func(string) string) func() string {
		return func() string { return forgeSegments(t, k, b64(hdr), edit(b64(stdPayload(t, nil)))) }
	}
	withSignature := func(edit func(sig []byte) []byte) func() string {
		return func() string {
			tok := forge(t, k, hdr, stdPayload(t, nil))
			i := strings.LastIndexByte(tok, '.')
			sig, _ := decodeSegment(tok[i+1:])
			return tok[:i+1] + base64.RawURLEncoding.EncodeToString(edit(sig))
		}
	}
	valid := withClaims(nil)
	sec := func(d time.Duration) int64 { return testNow.Add(d).Unix() }
	n := new(big.Int).SetBytes(p256Order[:])

	tests := []struct {
		name string
		tok  func() string
		want error // nil: accepted
	}{
		{"a token of the profile verifies", valid, nil},

		// Framing.
		{"a token over the size cap is ErrTooLarge before any decoding", func() string { return strings.Repeat("!", DefaultMaxSize+1) }, ErrTooLarge},
		{"two segments are malformed", func() string { t := valid(); return t[:strings.LastIndexByte(t, '.')] }, ErrMalformed},
		{"four segments are malformed", func() string { return valid() + ".AAAA" }, ErrMalformed},
		{"an empty string is malformed", func() string { return "" }, ErrMalformed},
		{"JWE (five segments) is malformed", func() string { return "a.b.c.d.e" }, ErrMalformed},

		// Canonical base64url.
		{"padding is malformed", withPayloadSegment(padded), ErrMalformed},
		{"a line break inside a segment is malformed", withPayloadSegment(func(s string) string { return s[:8] + "\n" + s[8:] }), ErrMalformed},
		{"a carriage return inside a segment is malformed", withPayloadSegment(func(s string) string { return s[:8] + "\r" + s[8:] }), ErrMalformed},
		{"the standard alphabet (+ and /) is malformed", func() string {
			p := b64(stdPayload(t, map[string]any{"x": "???>>>"}))
			return forgeSegments(t, k, b64(hdr), strings.NewReplacer("-", "+", "_", "/").Replace(p))
		}, ErrMalformed},
		{"non-zero trailing bits are malformed", withPayloadSegment(dirtyTrailingBits), ErrMalformed},
		{"a segment of impossible length is malformed", withPayloadSegment(func(s string) string { return s + strings.Repeat("A", (5-len(s)%4)%4) }), ErrMalformed},

		// Strict JSON.
		{"a header that is not JSON is malformed", withHeader(`{"alg":"ES256"`), ErrMalformed},
		{"a header that is a JSON array is malformed", withHeader(`["ES256"]`), ErrMalformed},
		{"a header with invalid UTF-8 is malformed", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + "\xff\"}"), ErrMalformed},
		{"a repeated header member is malformed", withHeader(`{"alg":"ES256","alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `"}`), ErrMalformed},
		{"a header member repeated through an escape is malformed", withHeader(`{"alg":"ES256","\u0061lg":"none","typ":"at+jwt","kid":"` + k.ID() + `"}`), ErrMalformed},
		{"claims that are not a JSON object are malformed", withPayload(`["user-1"]`), ErrMalformed},
		{"claims followed by more text are malformed", withPayload(stdPayload(t, nil) + "{}"), ErrMalformed},
		{"claims with invalid UTF-8 are malformed", withPayload(strings.Replace(stdPayload(t, nil), `"user-1"`, "\"user-\xff\"", 1)), ErrMalformed},
		{"claims with a lone surrogate escape are malformed", withPayload(strings.Replace(stdPayload(t, nil), `"user-1"`, `"user-\ud800"`, 1)), ErrMalformed},
		{"a repeated claim is malformed", withPayload(strings.Replace(stdPayload(t, nil), `{`, `{"sub":"admin",`, 1)), ErrMalformed},
		{"a claim repeated through an escape is malformed", withPayload(strings.Replace(stdPayload(t, nil), `{`, `{"s\u0075b":"admin",`, 1)), ErrMalformed},
		{"a member repeated inside a custom claim is malformed", withPayload(strings.Replace(stdPayload(t, nil), `{`, `{"x":{"a":1,"a":2},`, 1)), ErrMalformed},
		{"an empty payload is malformed", withPayload(""), ErrMalformed},

		// Header members.
		{"crit is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","crit":["exp"]}`), ErrHeader},
		{"b64 is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","b64":false}`), ErrHeader},
		{"jwk is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","jwk":{}}`), ErrHeader},
		{"jku is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","jku":"https://evil.test/jwks"}`), ErrHeader},
		{"x5u is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","x5u":"https://evil.test/cert"}`), ErrHeader},
		{"x5c is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","x5c":["MII"]}`), ErrHeader},
		{"zip is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","zip":"DEF"}`), ErrHeader},
		{"enc is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","enc":"A256GCM"}`), ErrHeader},
		{"cty is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `","cty":"JWT"}`), ErrHeader},
		{"a kid that is not a string is refused", withHeader(`{"alg":"ES256","typ":"at+jwt","kid":1}`), ErrHeader},
		{"a missing kid is refused", withHeader(`{"alg":"ES256","typ":"at+jwt"}`), ErrHeader},
		{"a missing alg is refused", withHeader(`{"typ":"at+jwt","kid":"` + k.ID() + `"}`), ErrHeader},

		// typ.
		{"a missing typ is ErrType", withHeader(`{"alg":"ES256","kid":"` + k.ID() + `"}`), ErrType},
		{"typ JWT is ErrType", withHeader(`{"alg":"ES256","typ":"JWT","kid":"` + k.ID() + `"}`), ErrType},
		{"typ application/jwt is ErrType", withHeader(`{"alg":"ES256","typ":"application/jwt","kid":"` + k.ID() + `"}`), ErrType},
		{"typ AT+JWT verifies (case-insensitive)", withHeader(`{"alg":"ES256","typ":"AT+JWT","kid":"` + k.ID() + `"}`), nil},
		{"typ application/at+jwt verifies", withHeader(`{"alg":"ES256","typ":"Application/At+JWT","kid":"` + k.ID() + `"}`), nil},

		// The key decides the algorithm.
		{"an unknown kid is ErrUnknownKey", func() string { return mustSign(t, other, testClaims()) }, ErrUnknownKey},
		{"alg none is refused", func() string {
			return b64(`{"alg":"none","typ":"at+jwt","kid":"`+k.ID()+`"}`) + "." + b64(stdPayload(t, nil)) + "."
		}, ErrHeader},
		{"alg HS256 on an ES256 key is refused (algorithm confusion)", withHeader(`{"alg":"HS256","typ":"at+jwt","kid":"` + k.ID() + `"}`), ErrHeader},
		{"alg ES384 on an ES256 key is refused", withHeader(`{"alg":"ES384","typ":"at+jwt","kid":"` + k.ID() + `"}`), ErrHeader},

		// Signatures.
		{"a flipped signature bit is ErrSignature", withSignature(func(s []byte) []byte { s[10] ^= 1; return s }), ErrSignature},
		{"a changed payload is ErrSignature", func() string {
			tok := valid()
			parts := strings.Split(tok, ".")
			return parts[0] + "." + b64(stdPayload(t, map[string]any{"sub": "admin"})) + "." + parts[2]
		}, ErrSignature},
		{"an empty signature is ErrSignature", withSignature(func([]byte) []byte { return nil }), ErrSignature},
		{"an ECDSA signature in DER is ErrSignature", withSignature(func(s []byte) []byte { d, _ := asn1Signature(s); return d }), ErrSignature},
		{"an ECDSA signature of 66 bytes is ErrSignature", withSignature(func(s []byte) []byte {
			return append(append(append([]byte{0}, s[:32]...), 0), s[32:]...)
		}), ErrSignature},
		{"an ECDSA signature with r = 0 is ErrSignature", withSignature(func(s []byte) []byte { clear(s[:32]); return s }), ErrSignature},
		{"an ECDSA signature with s = 0 is ErrSignature", withSignature(func(s []byte) []byte { clear(s[32:]); return s }), ErrSignature},
		{"an ECDSA signature with s = n is ErrSignature", withSignature(func(s []byte) []byte { n.FillBytes(s[32:]); return s }), ErrSignature},
		{"an ECDSA signature with r = n + r is ErrSignature", withSignature(func(s []byte) []byte {
			r := new(big.Int).Add(new(big.Int).SetBytes(s[:32]), n)
			if r.BitLen() > 256 {
				return nil // cannot be written in 32 bytes: still refused
			}
			r.FillBytes(s[:32])
			return s
		}), ErrSignature},
		{"a high-s ECDSA signature verifies (revocation is keyed by jti and sid, not by token bytes)", withSignature(func(s []byte) []byte {
			new(big.Int).Sub(n, new(big.Int).SetBytes(s[32:])).FillBytes(s[32:])
			return s
		}), nil},

		// Claim types and required claims.
		{"a missing exp is ErrClaims", withClaims(map[string]any{"exp": nil}), ErrClaims},
		{"a string exp is ErrClaims", withClaims(map[string]any{"exp": "1772367300"}), ErrClaims},
		{"a negative exp is ErrClaims", withClaims(map[string]any{"exp": -1}), ErrClaims},
		{"an exp past year 9999 is ErrClaims", withClaims(map[string]any{"exp": 1e12}), ErrClaims},
		{"a fractional exp verifies", withClaims(map[string]any{"exp": float64(sec(time.Minute)) + 0.5}), nil},
		{"a missing iat is ErrClaims", withClaims(map[string]any{"iat": nil}), ErrClaims},
		{"a string iat is ErrClaims", withClaims(map[string]any{"iat": "1772366400"}), ErrClaims},
		{"a boolean nbf is ErrClaims", withClaims(map[string]any{"nbf": true}), ErrClaims},
		{"a string auth_time is ErrClaims", withClaims(map[string]any{"auth_time": "yesterday"}), ErrClaims},
		{"a number preferred_username is ErrClaims", withClaims(map[string]any{"preferred_username": 7}), ErrClaims},
		{"a missing sub is ErrClaims", withClaims(map[string]any{"sub": nil}), ErrClaims},
		{"an empty sub is ErrClaims", withClaims(map[string]any{"sub": ""}), ErrClaims},
		{"a numeric sub is ErrClaims", withClaims(map[string]any{"sub": 1}), ErrClaims},
		{"a missing jti is ErrClaims", withClaims(map[string]any{"jti": nil}), ErrClaims},
		{"a missing client_id is ErrClaims", withClaims(map[string]any{"client_id": nil}), ErrClaims},
		{"a scope that is an array is ErrClaims", withClaims(map[string]any{"scope": []string{"orders:read"}}), ErrClaims},
		{"a scope with a doubled space is ErrClaims", withClaims(map[string]any{"scope": "a  b"}), ErrClaims},
		{"a numeric sid is ErrClaims", withClaims(map[string]any{"sid": 7}), ErrClaims},

		// Issuer and audience.
		{"another iss is ErrIssuer", withClaims(map[string]any{"iss": "https://evil.test"}), ErrIssuer},
		{"iss with a trailing slash is ErrIssuer (exact match)", withClaims(map[string]any{"iss": testIssuer + "/"}), ErrIssuer},
		{"a missing iss is ErrIssuer", withClaims(map[string]any{"iss": nil}), ErrIssuer},
		{"another aud is ErrAudience", withClaims(map[string]any{"aud": "billing"}), ErrAudience},
		{"an aud array holding the audience verifies", withClaims(map[string]any{"aud": []string{"billing", testAud}}), nil},
		{"an aud array without the audience is ErrAudience", withClaims(map[string]any{"aud": []string{"billing"}}), ErrAudience},
		{"an empty aud array is ErrAudience", withClaims(map[string]any{"aud": []string{}}), ErrAudience},
		{"a missing aud is ErrAudience", withClaims(map[string]any{"aud": nil}), ErrAudience},
		{"an aud array with a number is ErrClaims", withClaims(map[string]any{"aud": []any{testAud, 1}}), ErrClaims},

		// Lifetime, with the default 30s leeway.
		{"exp 31s ago is ErrExpired", withClaims(map[string]any{"exp": sec(-31 * time.Second), "iat": sec(-time.Hour)}), ErrExpired},
		{"exp exactly the leeway ago is ErrExpired", withClaims(map[string]any{"exp": sec(-30 * time.Second), "iat": sec(-time.Hour)}), ErrExpired},
		{"exp 29s ago verifies within the leeway", withClaims(map[string]any{"exp": sec(-29 * time.Second), "iat": sec(-time.Hour)}), nil},
		{"nbf 31s ahead is ErrNotYetValid", withClaims(map[string]any{"nbf": sec(31 * time.Second)}), ErrNotYetValid},
		{"nbf 30s ahead verifies within the leeway", withClaims(map[string]any{"nbf": sec(30 * time.Second)}), nil},
		{"iat 31s ahead is ErrNotYetValid", withClaims(map[string]any{"iat": sec(31 * time.Second)}), ErrNotYetValid},
		{"iat 30s ahead verifies within the leeway", withClaims(map[string]any{"iat": sec(30 * time.Second)}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(tt.tok())
			if tt.want == nil {
				if err != nil || c == nil {
					t.Fatalf("Verify = %v, %v; want claims", c, err)
				}
				return
			}
			if c != nil || !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %v, %v; want nil and %v (and ErrInvalid)", c, err, tt.want)
			}
		})
	}
}

// TestNonCanonicalSegmentsDecodeLaxly proves the encodings that the rules
// above refuse are the same bytes to a lax decoder: the refusal is the
// canonical-encoding rule, not garbage.
func TestNonCanonicalSegmentsDecodeLaxly(t *testing.T) {
	p := stdPayload(t, nil)
	seg := b64(p)
	if b, err := base64.URLEncoding.DecodeString(padded(seg)); err != nil || string(b) != p {
		t.Fatalf("padded segment: %v", err)
	}
	if b, err := base64.RawURLEncoding.DecodeString(dirtyTrailingBits(seg)); err != nil || string(b) != p {
		t.Fatalf("dirty trailing bits: %v", err)
	}
	if b, err := base64.RawURLEncoding.DecodeString(seg[:8] + "\n" + seg[8:]); err != nil || string(b) != p {
		t.Fatalf("line break: %v", err)
	}
	if len(seg+strings.Repeat("A", (5-len(seg)%4)%4))%4 != 1 {
		t.Fatal("impossible length case is not of length 1 mod 4")
	}
}

// padded adds the '=' padding of the padded base64url alphabet to s, whose
// length must not be a multiple of 4.
func padded(s string) string {
	if len(s)%4 == 0 {
		panic("padded needs a segment that pads")
	}
	return s + strings.Repeat("=", 4-len(s)%4)
}

// dirtyTrailingBits sets a trailing bit of the last character of s, whose
// length must not be a multiple of 4; a lax decoder decodes the same bytes.
func dirtyTrailingBits(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(s)%4 == 0 {
		panic("dirtyTrailingBits needs a segment with trailing bits")
	}
	last := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[last|1])
}

func TestVerifyCustomMaxSize(t *testing.T) {
	k := mustKey(t, EdDSA)
	ks, _ := NewKeySet(k)
	tok := mustSign(t, k, testClaims())
	for _, tt := range []struct {
		max  int
		want error
	}{{len(tok), nil}, {len(tok) - 1, ErrTooLarge}} {
		v, err := NewVerifier(ks, Options{Issuer: testIssuer, Audience: testAud, MaxSize: tt.max, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("MaxSize %d: Verify err = %v, want %v", tt.max, err, tt.want)
		}
	}
}

func TestVerifyCustomLeeway(t *testing.T) {
	k := mustKey(t, EdDSA)
	ks, _ := NewKeySet(k)
	c := testClaims()
	c.IssuedAt, c.ExpiresAt = testNow.Add(-time.Hour), testNow.Add(-5*time.Second)
	tok := mustSign(t, k, c)
	v, _ := NewVerifier(ks, Options{Issuer: testIssuer, Audience: testAud, Leeway: time.Second, Now: func() time.Time { return testNow }})
	if _, err := v.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("1s leeway: err = %v, want ErrExpired", err)
	}
	v, _ = NewVerifier(ks, Options{Issuer: testIssuer, Audience: testAud, Leeway: 10 * time.Second, Now: func() time.Time { return testNow }})
	if _, err := v.Verify(tok); err != nil {
		t.Fatalf("10s leeway: err = %v", err)
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	ks, _ := NewKeySet(mustKey(t, EdDSA))
	for name, tt := range map[string]struct {
		keys *KeySet
		opts Options
	}{
		"no key set":        {nil, Options{Issuer: testIssuer, Audience: testAud}},
		"no issuer":         {ks, Options{Audience: testAud}},
		"no audience":       {ks, Options{Issuer: testIssuer}},
		"a leeway over 60s": {ks, Options{Issuer: testIssuer, Audience: testAud, Leeway: 61 * time.Second}},
		"a negative leeway": {ks, Options{Issuer: testIssuer, Audience: testAud, Leeway: -time.Second}},
		"a negative size":   {ks, Options{Issuer: testIssuer, Audience: testAud, MaxSize: -1}},
	} {
		if _, err := NewVerifier(tt.keys, tt.opts); err == nil {
			t.Errorf("NewVerifier with %s: no error", name)
		}
	}
}

func TestSetKeysSwapsTheKeySet(t *testing.T) {
	k1, k2 := mustKey(t, ES256), mustKey(t, EdDSA)
	v := mustVerifier(t, k1.Public())
	tok1, tok2 := mustSign(t, k1, testClaims()), mustSign(t, k2, testClaims())
	ks2, _ := NewKeySet(k2.Public())

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if _, err := v.Verify(tok1); err != nil && !errors.Is(err, ErrUnknownKey) {
					t.Errorf("Verify during swap: %v", err)
				}
			}
		})
	}
	v.SetKeys(ks2)
	wg.Wait()
	if v.Keys() != ks2 {
		t.Fatal("Keys is not the new set")
	}
	if _, err := v.Verify(tok1); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old key's token: %v, want ErrUnknownKey", err)
	}
	if _, err := v.Verify(tok2); err != nil {
		t.Fatalf("new key's token: %v", err)
	}
	v.SetKeys(nil)
	if _, err := v.Verify(tok2); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("after SetKeys(nil): %v, want ErrUnknownKey", err)
	}
}
