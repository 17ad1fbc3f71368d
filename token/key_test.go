package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"testing"
)

// rfc7638Key is the RSA public key of RFC 7638 §3.1.
func rfc7638Key(t testing.TB) *rsa.PublicKey {
	n, ok := decodeSegment("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
	if !ok {
		t.Fatal("bad RFC 7638 modulus")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
}

func TestKeyIDIsTheRFC7638Thumbprint(t *testing.T) {
	k, err := NewKey(RS256, rfc7638Key(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.ID(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Fatalf("kid = %s, want %s (RFC 7638 §3.1)", got, want)
	}
}

func TestGenerateKey(t *testing.T) {
	for _, alg := range []Algorithm{ES256, EdDSA, RS256, HS256} {
		t.Run(string(alg), func(t *testing.T) {
			k := mustKey(t, alg)
			if k.Algorithm() != alg || !k.CanSign() || len(k.ID()) != 43 {
				t.Fatalf("key %s alg %s CanSign %v", k.ID(), k.Algorithm(), k.CanSign())
			}
			pub := k.Public()
			if alg == HS256 {
				if pub != nil {
					t.Fatal("an HS256 key has a public half")
				}
				return
			}
			if pub.CanSign() || pub.ID() != k.ID() || pub.Algorithm() != alg {
				t.Fatalf("public half: CanSign %v kid %s", pub.CanSign(), pub.ID())
			}
			if _, err := pub.MarshalPrivate(); err == nil {
				t.Fatal("a public key marshalled a private part")
			}
		})
	}
	if _, err := GenerateKey("ES384"); err == nil {
		t.Fatal("GenerateKey(ES384) succeeded")
	}
}

func TestNewKeyRefuses(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	//lint:ignore SA1019 a point off the curve cannot be built with the non-deprecated API, which refuses it
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}
	evenE := rfc7638Key(t)
	evenE.E = 65536
	for name, tt := range map[string]struct {
		alg Algorithm
		key any
	}{
		"an RSA key of 1024 bits":          {RS256, rsa1024},
		"an RSA key with an even exponent": {RS256, evenE},
		"a P-384 key for ES256":            {ES256, p384},
		"a point off the curve":            {ES256, offCurve},
		"an Ed25519 key for ES256":         {ES256, edPriv},
		"a P-256 key for EdDSA":            {EdDSA, p256},
		"a P-256 key for RS256":            {RS256, p256},
		"a short Ed25519 key":              {EdDSA, ed25519.PublicKey(make([]byte, 31))},
		"an HS256 secret of 31 bytes":      {HS256, make([]byte, 31)},
		"a string secret for HS256":        {HS256, "0123456789abcdef0123456789abcdef"},
		"an unsupported algorithm":         {"PS256", rsa1024},
		"a nil ECDSA key":                  {ES256, (*ecdsa.PrivateKey)(nil)},
	} {
		if _, err := NewKey(tt.alg, tt.key); err == nil {
			t.Errorf("NewKey accepted %s", name)
		}
	}
}

func TestPrivateKeyRoundTrips(t *testing.T) {
	for _, alg := range []Algorithm{ES256, EdDSA, RS256, HS256} {
		t.Run(string(alg), func(t *testing.T) {
			k := mustKey(t, alg)
			der, err := k.MarshalPrivate()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParsePrivateKey(alg, der)
			if err != nil {
				t.Fatal(err)
			}
			if back.ID() != k.ID() || !back.CanSign() {
				t.Fatalf("round trip: kid %s, want %s", back.ID(), k.ID())
			}
			// The restored key signs what the original's public half verifies.
			verifyWith := k.Public()
			if alg == HS256 {
				verifyWith = k
			}
			if _, err := mustVerifier(t, verifyWith).Verify(mustSign(t, back, testClaims())); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParsePrivateKeyRefusesAnotherAlgorithm(t *testing.T) {
	der, _ := mustKey(t, ES256).MarshalPrivate()
	if _, err := ParsePrivateKey(EdDSA, der); err == nil {
		t.Fatal("an ECDSA key parsed as EdDSA")
	}
	if _, err := ParsePrivateKey(ES256, []byte("not DER")); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestKeySet(t *testing.T) {
	a, b := mustKey(t, ES256), mustKey(t, EdDSA)
	s, err := NewKeySet(a, b.Public())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Key(b.ID()); !ok || got.ID() != b.ID() {
		t.Fatal("Key did not find b")
	}
	if _, ok := s.Key("nope"); ok {
		t.Fatal("Key found an unknown kid")
	}
	keys := s.Keys()
	keys[0] = nil
	if s.Keys()[0] != a {
		t.Fatal("Keys exposes the set's slice")
	}
	if _, err := NewKeySet(a, a.Public()); err == nil {
		t.Fatal("a duplicate kid was accepted")
	}
	if _, err := NewKeySet(a, nil); err == nil {
		t.Fatal("a nil key was accepted")
	}
}
