package token

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

var (
	testNow    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testIssuer = "https://auth.example.com"
	testAud    = "orders-api"
)

func testClaims() *gatehouse.Claims {
	return &gatehouse.Claims{
		Issuer:    testIssuer,
		Subject:   "user-1",
		Audience:  []string{testAud},
		ExpiresAt: testNow.Add(15 * time.Minute),
		IssuedAt:  testNow,
		ID:        "jti-1",
		ClientID:  "gatehouse",
		SessionID: "sid-1",
		Scopes:    []string{"orders:read", "orders:write"},
		AuthTime:  testNow.Add(-time.Minute),
	}
}

func mustKey(t testing.TB, alg Algorithm) *Key {
	t.Helper()
	k, err := GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSign(t testing.TB, k *Key, c *gatehouse.Claims) string {
	t.Helper()
	s, err := NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustVerifier(t testing.TB, keys ...*Key) *Verifier {
	t.Helper()
	ks, err := NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(ks, Options{Issuer: testIssuer, Audience: testAud, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// forge signs arbitrary header and payload text with k, so tests can build
// well-signed tokens that break one rule of the profile.
func forge(t testing.TB, k *Key, header, payload string) string {
	t.Helper()
	return forgeSegments(t, k, b64(header), b64(payload))
}

// forgeSegments signs already-encoded segments as they are.
func forgeSegments(t testing.TB, k *Key, h, p string) string {
	t.Helper()
	sig, err := k.sign([]byte(h + "." + p))
	if err != nil {
		t.Fatal(err)
	}
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// stdHeader is the header the signer writes for k.
func stdHeader(k *Key) string {
	return `{"alg":"` + string(k.Algorithm()) + `","typ":"at+jwt","kid":"` + k.ID() + `"}`
}

// stdPayload is a valid payload at testNow, with some members replaced or
// (with a nil value) removed.
func stdPayload(t testing.TB, change map[string]any) string {
	t.Helper()
	m := map[string]any{
		"iss": testIssuer, "sub": "user-1", "aud": testAud,
		"exp": testNow.Add(15 * time.Minute).Unix(), "iat": testNow.Unix(),
		"jti": "jti-1", "client_id": "gatehouse", "sid": "sid-1", "scope": "orders:read",
	}
	for k, v := range change {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
