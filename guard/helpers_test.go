package guard

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/token"
)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "orders"
)

// clock is the settable clock shared with the code under test.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(testNow) }

func newKey(t testing.TB, alg token.Algorithm) *token.Key {
	t.Helper()
	k, err := token.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keySet(t testing.TB, keys ...*token.Key) *token.KeySet {
	t.Helper()
	ks, err := token.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// testClaims are the claims of a token valid at testNow for testIssuer and
// testAudience.
func testClaims(jti, sid string) *Claims {
	return &Claims{
		Issuer:    testIssuer,
		Subject:   "user-1",
		Audience:  []string{testAudience},
		ExpiresAt: testNow.Add(15 * time.Minute),
		IssuedAt:  testNow,
		ID:        jti,
		ClientID:  "gatehouse",
		SessionID: sid,
		Scopes:    []string{"orders:read"},
		AuthTime:  testNow.Add(-time.Minute),
	}
}

// mint signs c with k.
func mint(t testing.TB, k *token.Key, c *Claims) string {
	t.Helper()
	s, err := token.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// localVerifier is a LocalVerifier of ks for testIssuer and testAudience on
// clk, with opts after those.
func localVerifier(t testing.TB, ks *token.KeySet, clk *clock, opts ...Option) *LocalVerifier {
	t.Helper()
	base := []Option{WithIssuer(testIssuer), WithAudience(testAudience), WithNow(clk.Now)}
	v, err := NewLocalVerifier(ks, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
