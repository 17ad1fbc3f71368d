package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"testing"
)

// Benchmarks of signing and verifying per algorithm, beside the raw
// standard-library verification of the same signature over the same bytes
// (impl=raw): the difference is the cost of this package's parsing and
// checks. Compare with benchstat -col /impl.
//
//	go test -run '^$' -bench . -benchmem -count 10 ./token > bench.txt
//	benchstat -col /impl -filter .name:Verify bench.txt

var benchAlgs = []Algorithm{ES256, EdDSA, RS256, HS256}

func BenchmarkSign(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run("alg="+string(alg), func(b *testing.B) {
			s, _ := NewSigner(mustKey(b, alg))
			c := testClaims()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, alg := range benchAlgs {
		k := mustKey(b, alg)
		tok := mustSign(b, k, testClaims())
		b.Run("alg="+string(alg)+"/impl=gatehouse", func(b *testing.B) {
			v := mustVerifier(b, k)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("alg="+string(alg)+"/impl=raw", func(b *testing.B) {
			verify := rawVerifier(b, k, tok)
			b.ReportAllocs()
			for b.Loop() {
				if !verify() {
					b.Fatal("raw verification failed")
				}
			}
		})
	}
}

// rawVerifier returns the standard library's verification of tok's
// signature, with the signature decoded (and, for ES256, put in the DER
// form crypto/ecdsa takes) beforehand: nothing but hashing and the
// signature check is left to time.
func rawVerifier(b *testing.B, k *Key, tok string) func() bool {
	i := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:i])
	sig, _ := decodeSegment(tok[i+1:])
	switch k.Algorithm() {
	case ES256:
		der, _ := asn1Signature(sig)
		return func() bool {
			h := sha256.Sum256(input)
			return ecdsa.VerifyASN1(k.ec, h[:], der)
		}
	case EdDSA:
		return func() bool { return ed25519.Verify(k.ed, input, sig) }
	case RS256:
		return func() bool {
			h := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(k.rs, crypto.SHA256, h[:], sig) == nil
		}
	case HS256:
		return func() bool {
			m := hmac.New(sha256.New, k.secret)
			m.Write(input)
			return hmac.Equal(m.Sum(nil), sig)
		}
	}
	b.Fatalf("no raw verifier for %s", k.Algorithm())
	return nil
}
