package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedKeys are keys with fixed bytes, for golden files: ES256, EdDSA,
// RS256 (public, RFC 7638) and an HS256 secret.
func fixedKeys(t testing.TB) []*Key {
	t.Helper()
	seq := func(from byte) []byte {
		b := make([]byte, 32)
		for i := range b {
			b[i] = from + byte(i)
		}
		return b
	}
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seq(1))
	if err != nil {
		t.Fatal(err)
	}
	var keys []*Key
	for _, kv := range []struct {
		alg Algorithm
		key any
	}{
		{ES256, ec},
		{EdDSA, ed25519.NewKeyFromSeed(seq(33))},
		{RS256, rfc7638Key(t)},
		{HS256, seq(65)},
	} {
		k, err := NewKey(kv.alg, kv.key)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

func TestJWKSGolden(t *testing.T) {
	s, err := NewKeySet(fixedKeys(t)...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "jwks.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("JWKS\n got %s\nwant %s", got, want)
	}
	if bytes.Contains(got, []byte(`"oct"`)) || bytes.Contains(got, []byte(`"d"`)) {
		t.Fatal("the JWKS publishes a secret or a private member")
	}
}

func TestJWKSRoundTrips(t *testing.T) {
	keys := fixedKeys(t)
	s, _ := NewKeySet(append(keys, mustKey(t, ES256), mustKey(t, EdDSA))...)
	doc, _ := s.JWKS()
	back, err := ParseJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range s.Keys() {
		if k.Algorithm() != HS256 {
			want = append(want, k.ID())
		}
	}
	var got []string
	for _, k := range back.Keys() {
		if k.CanSign() {
			t.Fatal("a parsed key can sign")
		}
		got = append(got, k.ID())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("kids %v, want %v", got, want)
	}
}

func TestParseJWKS(t *testing.T) {
	keys := fixedKeys(t)
	ec, ed := keys[0], keys[1]
	one := func(k *Key) string {
		s, _ := NewKeySet(k)
		doc, _ := s.JWKS()
		return string(doc)
	}
	ecDoc, edDoc := one(ec), one(ed)
	tests := []struct {
		name string
		doc  string
		kids []string
		err  string // a part of the expected error; "" when the set parses
	}{
		{"a key set parses", ecDoc, []string{ec.ID()}, ""},
		{"an empty key set parses", `{"keys":[]}`, nil, ""},
		{"a key for encryption is skipped", strings.Replace(edDoc, `"use":"sig"`, `"use":"enc"`, 1), nil, ""},
		{"a key without alg is skipped", strings.Replace(edDoc, `,"alg":"EdDSA"`, ``, 1), nil, ""},
		{"a key of another algorithm is skipped", strings.Replace(ecDoc, `"alg":"ES256"`, `"alg":"ES384"`, 1), nil, ""},
		{"a symmetric key is skipped", `{"keys":[{"kty":"oct","k":"AAAA","alg":"HS256","kid":"x"}]}`, nil, ""},
		{"unknown members are ignored", strings.Replace(ecDoc, `"use":"sig"`, `"use":"sig","key_ops":["verify"],"x5t":"abc"`, 1), []string{ec.ID()}, ""},
		{"a kid that is not the thumbprint is refused", strings.Replace(ecDoc, ec.ID(), ed.ID(), 1), nil, "thumbprint"},
		{"a missing kid is refused", strings.Replace(ecDoc, `,"kid":"`+ec.ID()+`"`, ``, 1), nil, "thumbprint"},
		{"a private member is refused", strings.Replace(ecDoc, `"use":"sig"`, `"use":"sig","d":"AAAA"`, 1), nil, "private key material"},
		{"an alg that does not suit the kty is refused", strings.Replace(ecDoc, `"alg":"ES256"`, `"alg":"EdDSA"`, 1), nil, "does not suit"},
		{"a coordinate of 31 bytes is refused", `{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k","x":"` + strings.Repeat("A", 41) + `Q","y":"` + strings.Repeat("A", 43) + `"}]}`, nil, "bad EC coordinates"},
		{"a point off the curve is refused", `{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","kid":"k","x":"` + strings.Repeat("A", 42) + `E","y":"` + strings.Repeat("A", 42) + `E"}]}`, nil, "not on curve"},
		{"a repeated member is refused", strings.Replace(ecDoc, `"use":"sig"`, `"use":"sig","use":"sig"`, 1), nil, "not strict JSON"},
		{"a member that is not a string is refused", strings.Replace(ecDoc, `"use":"sig"`, `"use":1`, 1), nil, "is not a string"},
		{"a duplicate key is refused", `{"keys":[` + ecDoc[9:len(ecDoc)-2] + `,` + ecDoc[9:len(ecDoc)-2] + `]}`, nil, "twice"},
		{"a document without keys is refused", `{}`, nil, "no keys member"},
		{"keys that are not an array are refused", `{"keys":{}}`, nil, "not an array"},
		{"a key that is not an object is refused", `{"keys":["k"]}`, nil, "not a JSON object"},
		{"text that is not JSON is refused", `{"keys":[`, nil, "not strict JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseJWKS([]byte(tt.doc))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseJWKS = %v; want an error about %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJWKS: %v", err)
			}
			var kids []string
			for _, k := range s.Keys() {
				kids = append(kids, k.ID())
			}
			if strings.Join(kids, ",") != strings.Join(tt.kids, ",") {
				t.Fatalf("kids %v, want %v", kids, tt.kids)
			}
		})
	}
}

func TestParseJWKSRefusesSmallRSAKeys(t *testing.T) {
	doc := `{"keys":[{"kty":"RSA","alg":"RS256","kid":"k","e":"AQAB","n":"` + strings.Repeat("w", 171) + `"}]}`
	if _, err := ParseJWKS([]byte(doc)); err == nil {
		t.Fatal("a 1024-bit RSA key was accepted")
	}
}
