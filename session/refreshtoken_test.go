package session

import (
	"strings"
	"testing"
)

func TestRefreshTokensCarry256RandomBitsAndParseStrictly(t *testing.T) {
	tok, hash := newRefreshToken()
	secret, ok := parseRefreshToken(tok)
	if !ok || len(secret) != 32 || len(hash) != 32 {
		t.Fatalf("token %d chars, secret %d bytes, hash %d bytes", len(tok), len(secret), len(hash))
	}
	if other, _ := newRefreshToken(); other == tok {
		t.Fatal("two tokens are equal")
	}
	// 43 base64url characters hold 258 bits for 256: the final character's
	// two low bits must be zero. Setting one is another spelling of the same
	// bytes and must be refused (Strict decoding).
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, tok[len(tok)-1])
	if i%4 != 0 {
		t.Fatalf("final character %q is not canonical", tok[len(tok)-1])
	}
	if _, ok := parseRefreshToken(tok[:len(tok)-1] + string(alphabet[i+1])); ok {
		t.Error("non-canonical final character accepted")
	}
	for _, bad := range []string{tok + "=", " " + tok[1:], tok[:10] + "+" + tok[11:], "GHR_" + tok[4:]} {
		if _, ok := parseRefreshToken(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestSealedSuccessorOpensOnlyWithThePresentedToken(t *testing.T) {
	old, oldHash := newRefreshToken()
	next, _ := newRefreshToken()
	secret, _ := parseRefreshToken(old)
	sealed, err := seal(secret, oldHash, next)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), next) {
		t.Fatal("sealed successor contains the token in the clear")
	}
	got, err := unseal(secret, oldHash, sealed)
	if err != nil || got != next {
		t.Fatalf("unseal = %q, %v", got, err)
	}
	stranger, strangerHash := newRefreshToken()
	ss, _ := parseRefreshToken(stranger)
	if _, err := unseal(ss, oldHash, sealed); err == nil {
		t.Error("opened with another token's key")
	}
	if _, err := unseal(secret, strangerHash, sealed); err == nil {
		t.Error("opened with another token's hash as associated data")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := unseal(secret, oldHash, sealed); err == nil {
		t.Error("opened a tampered seal")
	}
}
