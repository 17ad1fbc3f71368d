package jwtpeer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
	"github.com/golang-jwt/jwt/v5"
)

var (
	testNow    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testIssuer = "https://auth.example.com"
	testAud    = "orders-api"
)

func testClaims() *gatehouse.Claims {
	return &gatehouse.Claims{
		Issuer: testIssuer, Subject: "user-1", Audience: []string{testAud},
		ExpiresAt: testNow.Add(15 * time.Minute), IssuedAt: testNow,
		ID: "jti-1", ClientID: "gatehouse", SessionID: "sid-1",
		Scopes: []string{"orders:read", "orders:write"}, AuthTime: testNow.Add(-time.Minute),
	}
}

// ours returns Gatehouse's verifier of tokens signed by k.
func ours(t testing.TB, k *token.Key) *token.Verifier {
	t.Helper()
	verifyWith := k.Public()
	if k.Algorithm() == token.HS256 {
		verifyWith = k
	}
	ks, err := token.NewKeySet(verifyWith)
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(ks, token.Options{Issuer: testIssuer, Audience: testAud, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// theirs returns golang-jwt's parser configured as a careful user would for
// the same checks: the algorithm, issuer, audience, a required exp, the
// same clock.
func theirs(alg token.Algorithm) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{string(alg)}),
		jwt.WithIssuer(testIssuer),
		jwt.WithAudience(testAud),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return testNow }),
	)
}

// ecKey is an ES256 key that both libraries use, and the raw signer the
// tests forge tokens with.
type ecKey struct {
	priv *ecdsa.PrivateKey
	key  *token.Key
}

func newECKey(t testing.TB) ecKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := token.NewKey(token.ES256, priv)
	if err != nil {
		t.Fatal(err)
	}
	return ecKey{priv, k}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// forge signs the encoded segments h and p as they are (ES256, R||S).
func (k ecKey) forge(t testing.TB, h, p string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(h + "." + p))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// publicOf returns the public key of a PKCS#8 private key.
func publicOf(t testing.TB, der []byte) any {
	t.Helper()
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	return priv.(crypto.Signer).Public()
}
