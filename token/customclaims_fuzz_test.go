package token

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse"
)

// FuzzCustomClaimsSign: whatever gatehouse.CheckCustomClaims accepts, a
// signer signs and the verifier gives back unchanged, so a user whose
// claims were accepted is never locked out at mint time; and what it gives
// back is its own canonical form.
func FuzzCustomClaimsSign(f *testing.F) {
	for _, s := range []string{
		`{"role":"admin"}`, `{"tenant":{"id":7,"tags":["a","b"]},"n":-0.5e+3}`, `{"sub":"x"}`, `{"a":1,"A":2}`,
		`{"x":{"k":1,"K":2}}`, `{"x":"\ud800"}`, `{"ſ":1,"s":2}`, `{"x":[[[[[[[[[[1]]]]]]]]]]}`, `{"e":"\u00e9\u2028"}`,
	} {
		f.Add([]byte(s))
	}
	k, err := GenerateKey(EdDSA)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := NewSigner(k)
	if err != nil {
		f.Fatal(err)
	}
	v := mustVerifier(f, k.Public())
	f.Fuzz(func(t *testing.T, data []byte) {
		var in map[string]json.RawMessage
		if json.Unmarshal(data, &in) != nil {
			return
		}
		out, err := gatehouse.CheckCustomClaims(in)
		if err != nil {
			return
		}
		again, err := gatehouse.CheckCustomClaims(out)
		if err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("not canonical: %s → %s → %s, %v", in, out, again, err)
		}
		c := testClaims()
		c.Extra = out
		tok, err := signer.Sign(c)
		if err != nil {
			t.Fatalf("accepted claims %s do not sign: %v", out, err)
		}
		got, err := v.Verify(tok)
		if err != nil {
			t.Fatalf("accepted claims %s do not verify: %v", out, err)
		}
		if len(out) == 0 {
			out = nil
		}
		if !reflect.DeepEqual(got.Extra, out) {
			t.Fatalf("claims %s came back as %s", out, got.Extra)
		}
	})
}
