package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse"
)

// FuzzVerify feeds arbitrary strings to the verifier: it never panics,
// every refusal is ErrInvalid, and nothing it accepts lacks a required
// claim.
func FuzzVerify(f *testing.F) {
	keys := fixedKeys(f)
	v := mustVerifier(f, keys...)
	for _, k := range keys {
		if k.CanSign() {
			f.Add(mustSign(f, k, testClaims()))
		}
	}
	f.Add("")
	f.Add("..")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		checkVerify(t, v, tok)
	})
}

// FuzzVerifyParsers reaches the header and claims parsers behind a valid
// signature: the fuzzer writes the header and payload text, the test signs
// them with an HS256 key the verifier trusts.
func FuzzVerifyParsers(f *testing.F) {
	k := fixedKeys(f)[3] // HS256: the cheapest to sign
	v := mustVerifier(f, k)
	f.Add(stdHeader(k), stdPayload(f, nil))
	f.Add(stdHeader(k), stdPayload(f, map[string]any{"aud": []string{"a", testAud}, "x": map[string]any{"y": []any{1.5e3, nil, true}}}))
	f.Add(`{"alg":"HS256","typ":"at+jwt","kid":"`+k.ID()+`","crit":["b64"],"b64":false}`, `{"s\u0075b":"x","sub":"y"}`)
	f.Add(stdHeader(k), strings.TrimSuffix(stdPayload(f, nil), "}")+`,"SUB":"admin"}`)
	f.Fuzz(func(t *testing.T, header, payload string) {
		c := checkVerify(t, v, forge(t, k, header, payload))
		if c == nil {
			return
		}
		if !utf8.ValidString(payload) || !json.Valid([]byte(payload)) {
			t.Fatalf("accepted claims that are not UTF-8 JSON: %q", payload)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(payload), &m); err != nil || m["sub"] != c.Subject || m["jti"] != c.ID {
			t.Fatalf("claims %+v differ from encoding/json's reading of %q", c, payload)
		}
		// A struct reads names ignoring case: it must still see ours.
		var st struct {
			Sub string `json:"sub"`
			Jti string `json:"jti"`
		}
		if err := json.Unmarshal([]byte(payload), &st); err != nil || st.Sub != c.Subject || st.Jti != c.ID {
			t.Fatalf("claims %+v differ from encoding/json's struct reading of %q", c, payload)
		}
	})
}

func checkVerify(t *testing.T, v *Verifier, tok string) *gatehouse.Claims {
	c, err := v.Verify(tok)
	if err != nil {
		if c != nil || !errors.Is(err, ErrInvalid) {
			t.Fatalf("Verify = %v, %v; want nil and ErrInvalid", c, err)
		}
		return nil
	}
	if c.Subject == "" || c.ID == "" || c.ClientID == "" || c.Issuer != testIssuer || c.ExpiresAt.IsZero() || c.IssuedAt.IsZero() {
		t.Fatalf("accepted incomplete claims %+v", c)
	}
	return c
}

// FuzzParseObject checks the strict JSON reader against encoding/json:
// what it accepts is valid UTF-8 JSON, and an object whose member names
// are all different, even ignoring case.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,2,{"c":null}]},"d":"\u00e9\ud83d\ude00"}`, `{"a":1,"\u0061":2}`, `{"k":1,"\u212a":2}`, ` {"x" : -0.5e+10 } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := parseObject(data, nil)
		if err != nil {
			return
		}
		if !utf8.Valid(data) || !json.Valid(data) {
			t.Fatalf("accepted %q, which encoding/json refuses", data)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("accepted %q, not an object: %v", data, err)
		}
		if len(m) != len(ms) {
			t.Fatalf("accepted %q with a repeated member", data)
		}
		for i := range ms {
			if _, ok := m[ms[i].key()]; !ok {
				t.Fatalf("member %q of %q read wrongly", ms[i].key(), data)
			}
			for j := range i {
				if strings.EqualFold(ms[i].key(), ms[j].key()) {
					t.Fatalf("accepted %q, whose names %q and %q differ only by case", data, ms[j].key(), ms[i].key())
				}
			}
		}
	})
}

// FuzzParseJWKS: the JWKS reader never panics, and what it accepts
// renders and reads back to the same keys.
func FuzzParseJWKS(f *testing.F) {
	s, _ := NewKeySet(fixedKeys(f)...)
	doc, _ := s.JWKS()
	f.Add(doc)
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","x":"","y":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseJWKS(data)
		if err != nil {
			return
		}
		again, _ := s.JWKS()
		back, err := ParseJWKS(again)
		if err != nil || len(back.Keys()) != len(s.Keys()) {
			t.Fatalf("re-reading %s: %v", again, err)
		}
	})
}

// FuzzOpenKey: whatever a row holds, OpenKey and PublicFromStored either
// refuse it or return the key the row names, without panicking.
func FuzzOpenKey(f *testing.F) {
	kek, err := NewKEK(bytes.Repeat([]byte{7}, KEKSize))
	if err != nil {
		f.Fatal(err)
	}
	for _, k := range fixedKeys(f) {
		if !k.CanSign() {
			continue
		}
		sk, err := SealKey(k, kek, gatehouse.KeyNext, testNow)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sk.ID, sk.Algorithm, sk.PublicKey, sk.PrivateKey, true)
		der, _ := k.MarshalPrivate()
		f.Add(sk.ID, sk.Algorithm, sk.PublicKey, der, false)
	}
	f.Fuzz(func(t *testing.T, kid, alg string, pub, priv []byte, sealed bool) {
		sk := &gatehouse.SigningKey{ID: kid, Algorithm: alg, PublicKey: pub, PrivateKey: priv}
		if sealed {
			sk.KEKID = kek.ID()
		}
		if k, err := OpenKey(sk, kek); err == nil && (k.ID() != kid || string(k.Algorithm()) != alg || !k.CanSign()) {
			t.Fatalf("OpenKey returned key %s (%s) for a row of %s (%s)", k.ID(), k.Algorithm(), kid, alg)
		}
		if k, err := PublicFromStored(sk); err == nil && (k.ID() != kid || k.CanSign()) {
			t.Fatalf("PublicFromStored returned key %s for a row of %s", k.ID(), kid)
		}
	})
}
