package session

import (
	"bytes"
	"strings"
	"testing"
)

func TestRefreshTokensCarryTheirFamilyAnd256RandomBitsAndParseStrictly(t *testing.T) {
	family := newFamily()
	tok, hash := newRefreshToken(family)
	pt, ok := parseRefreshToken(tok)
	if !ok || len(pt.payload) != 48 || !bytes.Equal(pt.family, family) || len(hash) != 32 {
		t.Fatalf("token %d chars, payload %d bytes, family %x (want %x), hash %d bytes", len(tok), len(pt.payload), pt.family, family, len(hash))
	}
	if other, _ := newRefreshToken(family); other == tok {
		t.Fatal("two tokens of one family are equal")
	}
	// 64 base64url characters hold exactly 48 bytes; a legacy token's 43
	// hold 258 bits for 256, so its final character's two low bits must be
	// zero. Setting one is another spelling of the same bytes and must be
	// refused (Strict decoding).
	legacy, _ := newLegacyRefreshToken()
	if lp, ok := parseRefreshToken(legacy); !ok || len(lp.payload) != 32 || lp.family != nil {
		t.Fatalf("legacy token %q: %+v, %v", legacy, lp, ok)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, legacy[len(legacy)-1])
	if i%4 != 0 {
		t.Fatalf("final character %q is not canonical", legacy[len(legacy)-1])
	}
	if _, ok := parseRefreshToken(legacy[:len(legacy)-1] + string(alphabet[i+1])); ok {
		t.Error("non-canonical final character accepted")
	}
	for _, bad := range []string{tok + "=", tok + "A", tok[:len(tok)-1], " " + tok[1:], tok[:10] + "+" + tok[11:], "GHR_" + tok[4:], legacy + "AAAA"} {
		if _, ok := parseRefreshToken(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSealedSuccessorOpensOnlyWithThePresentedToken(t *testing.T) {
	family := newFamily()
	old, oldHash := newRefreshToken(family)
	next, _ := newRefreshToken(family)
	secret, _ := parseRefreshToken(old)
	sealed, err := seal(secret.payload, oldHash, next)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), next) {
		t.Fatal("sealed successor contains the token in the clear")
	}
	got, err := unseal(secret.payload, oldHash, sealed)
	if err != nil || got != next {
		t.Fatalf("unseal = %q, %v", got, err)
	}
	// A token of the same family (which shares the family secret) does not
	// open it either: the key comes from the whole payload.
	sibling, siblingHash := newRefreshToken(family)
	ss, _ := parseRefreshToken(sibling)
	if _, err := unseal(ss.payload, oldHash, sealed); err == nil {
		t.Error("opened with another token's key")
	}
	if _, err := unseal(secret.payload, siblingHash, sealed); err == nil {
		t.Error("opened with another token's hash as associated data")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := unseal(secret.payload, oldHash, sealed); err == nil {
		t.Error("opened a tampered seal")
	}
}
