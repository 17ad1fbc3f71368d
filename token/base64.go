package token

import "encoding/base64"

// decodeSegment decodes one JWS segment, which must be canonical unpadded
// base64url (RFC 7515 §2): only the 64 characters of the URL alphabet, no
// padding, no line breaks (which encoding/base64 would skip), and zero
// trailing bits, so that every byte string has exactly one encoding.
func decodeSegment(s string) ([]byte, bool) {
	if !canonicalAlphabet(s) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return b, err == nil
}

// canonicalAlphabet reports whether s holds only base64url characters and
// has a length that some byte string encodes to.
func canonicalAlphabet(s string) bool {
	if len(s)%4 == 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
