package jwtpeer

import (
	"testing"

	"github.com/gatehouse/gatehouse/token"
	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkVerify verifies the same access token, minted by token.Signer,
// with the token package (impl=gatehouse) and with golang-jwt v5
// (impl=golang-jwt) configured for the same checks. Compare with
// benchstat -col /impl.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []token.Algorithm{token.ES256, token.EdDSA, token.RS256, token.HS256} {
		k, err := token.GenerateKey(alg)
		if err != nil {
			b.Fatal(err)
		}
		s, _ := token.NewSigner(k)
		tok, err := s.Sign(testClaims())
		if err != nil {
			b.Fatal(err)
		}
		b.Run("alg="+string(alg)+"/impl=gatehouse", func(b *testing.B) {
			v := ours(b, k)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("alg="+string(alg)+"/impl=golang-jwt", func(b *testing.B) {
			p := theirs(alg)
			key := peerKey(b, k)
			keyFunc := func(*jwt.Token) (any, error) { return key, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(tok, keyFunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// peerKey returns the verification key of k in the form golang-jwt takes.
func peerKey(b *testing.B, k *token.Key) any {
	if k.Algorithm() == token.HS256 {
		secret, err := k.MarshalPrivate()
		if err != nil {
			b.Fatal(err)
		}
		return secret
	}
	der, err := k.MarshalPrivate()
	if err != nil {
		b.Fatal(err)
	}
	return publicOf(b, der)
}
