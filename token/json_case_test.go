package token

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
)

// Go's encoding/json fills a struct field from a member whose name equals
// the field's name under Unicode simple case folding, and the last such
// member wins. A signed token holding "sub" and "SUB" would then name one
// subject to this package and possibly another to such a consumer, so
// such names count as a repeated name: the token is malformed.
func TestNamesThatDifferOnlyByCase(t *testing.T) {
	k := mustKey(t, ES256)
	v := mustVerifier(t, k.Public())
	hdr := stdHeader(k)
	// claims adds members, written as JSON text, in front of the standard
	// claims.
	claims := func(members ...string) string {
		return strings.Replace(stdPayload(t, nil), `{`, `{`+strings.Join(members, ",")+`,`, 1)
	}
	header := func(members string) string {
		return `{"alg":"ES256","typ":"at+jwt","kid":"` + k.ID() + `",` + members + `}`
	}
	// many returns n distinct custom members, enough for the objects to be
	// checked with a map rather than pairwise (duplicateScanLimit).
	many := func(n int) string {
		ms := make([]string, n)
		for i := range ms {
			ms[i] = fmt.Sprintf(`"c%d":%d`, i, i)
		}
		return strings.Join(ms, ",")
	}

	t.Run("claims whose names differ only by case are refused", func(t *testing.T) {
		tests := []struct {
			name   string
			header string
			claims string
		}{
			{"sub and SUB", hdr, claims(`"SUB":"admin"`)},
			{"Sub and sub", hdr, strings.Replace(stdPayload(t, nil), `"sub"`, `"Sub":"admin","sub"`, 1)},
			{"sub and s\\u0055b (an escaped capital)", hdr, claims(`"s\u0055b":"admin"`)},
			{"sub and \\u0053\\u0055\\u0042 (every letter escaped)", hdr, claims(`"\u0053\u0055\u0042":"admin"`)},
			{"sub and ſub (U+017F LONG S folds to s)", hdr, claims(`"ſub":"admin"`)},
			{"exp and Exp", hdr, claims(`"Exp":4102444800`)},
			{"a custom claim: role and ROLE", hdr, claims(`"role":"user"`, `"ROLE":"admin"`)},
			{"a custom claim: role and R\\u004fLE", hdr, claims(`"role":"user"`, `"R\u004fLE":"admin"`)},
			{"k and U+212A KELVIN SIGN", hdr, claims(`"k":1`, `"K":2`)},
			{"k and U+212A KELVIN SIGN, escaped", hdr, claims(`"k":1`, `"\u212a":2`)},
			{"ß and U+1E9E CAPITAL SHARP S", hdr, claims(`"ß":1`, `"ẞ":2`)},
			{"names inside a custom claim", hdr, claims(`"x":{"a":1,"A":2}`)},
			{"names in an object inside an array", hdr, claims(`"x":[{"id":1,"ID":2}]`)},
			{"a pair among more than duplicateScanLimit members", hdr, claims(many(duplicateScanLimit), `"C7":7`)},
			{"a pair among more than duplicateScanLimit members, escaped", hdr, claims(many(duplicateScanLimit), `"\u00437":7`)},
			{"KELVIN SIGN among more than duplicateScanLimit members", hdr, claims(many(duplicateScanLimit), `"k":1`, `"K":2`)},
			{"header alg and ALG", header(`"ALG":"none"`), stdPayload(t, nil)},
			{"header kid and Kid", header(`"Kid":"other"`), stdPayload(t, nil)},
			{"header kid and k\\u0049d", header(`"k\u0049d":"other"`), stdPayload(t, nil)},
			{"header typ and TYP", header(`"TYP":"JWT"`), stdPayload(t, nil)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c, err := v.Verify(forge(t, k, tt.header, tt.claims))
				if c != nil || !errors.Is(err, ErrMalformed) {
					t.Fatalf("Verify = %v, %v; want nil and ErrMalformed", c, err)
				}
			})
		}
	})

	t.Run("distinct names verify", func(t *testing.T) {
		tests := []struct {
			name   string
			claims string
		}{
			{"sub beside subject and SUBS (a shared prefix)", claims(`"subject":"a"`, `"SUBS":"b"`)},
			{"role beside roles and ROLES", claims(`"role":"a"`, `"roles":["b"]`)},
			{"scope beside scopes", claims(`"scopes":"a"`)},
			{"k beside kk and KELVIN SIGN twice", claims(`"k":1`, `"KK":2`)},
			{"ß beside ss (simple folding, as encoding/json, not full folding)", claims(`"ß":1`, `"ss":2`)},
			{"e beside é", claims(`"e":1`, `"é":2`)},
			{"more than duplicateScanLimit distinct members", claims(many(2 * duplicateScanLimit))},
			{"the same name in sibling objects", claims(`"x":{"a":1}`, `"y":{"a":2}`, `"z":[{"a":1},{"A":2}]`)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if c, err := v.Verify(forge(t, k, hdr, tt.claims)); err != nil || c == nil {
					t.Fatalf("Verify = %v, %v; want claims", c, err)
				}
			})
		}
	})
}

// Objects of more than duplicateScanLimit members compare folded names
// (appendFolded) instead of calling strings.EqualFold. Both agree when
// every rune folds to a rune of its own orbit, the same for the whole
// orbit: orbits are disjoint, and UTF-8 is prefix-free.
func TestFoldedNamesMatchEqualFold(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if utf16.IsSurrogate(r) {
			continue
		}
		s := string(r)
		folded := string(appendFolded(nil, s))
		if !strings.EqualFold(folded, s) {
			t.Fatalf("%U folds to %q, outside its orbit", r, folded)
		}
		if next := string(unicode.SimpleFold(r)); string(appendFolded(nil, []byte(next))) != folded {
			t.Fatalf("%U folds to %q, and %q in its orbit to %q", r, folded, next, appendFolded(nil, next))
		}
	}
}

// BenchmarkParseClaims times the strict reader on the claims the signer
// writes, the part of Verify that checks member names.
func BenchmarkParseClaims(b *testing.B) {
	p, err := encodeClaims(testClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var members [16]jsonMember
		if _, err := parseObject(p, members[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
