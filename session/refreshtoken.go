package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// A refresh token is "ghr_" followed by, in unpadded base64url, the 16-byte
// secret of its session's family and 32 random bytes of its own: 384 bits
// of secret randomness, of which 256 change at every rotation. Every token
// of a session carries the family, so a retired token is recognised even
// once its row is gone (the store keeps two rows a session and the family's
// SHA-256). Tokens issued before families ("ghr_" and 32 random bytes) are
// still accepted. The store keeps only each token's SHA-256.
const (
	refreshPrefix    = "ghr_"
	familyLen        = 16
	refreshSecretLen = 32
	refreshTokenLen  = len(refreshPrefix) + 64 // 48 bytes in base64url
	legacyTokenLen   = len(refreshPrefix) + 43 // 32 bytes in base64url
)

// sealInfo separates the sealing key derived from a token from the token's
// stored hash (HKDF vs plain SHA-256) and from any future use.
const sealInfo = "gatehouse refresh successor seal v1"

var errSeal = errors.New("session: cannot open sealed successor")

// newFamily returns the secret of a new session's token family.
func newFamily() []byte {
	b := make([]byte, familyLen)
	rand.Read(b) // never fails (crypto/rand contract since Go 1.24)
	return b
}

// familyHash is what the store keeps of a family.
func familyHash(family []byte) []byte {
	h := sha256.Sum256(family)
	return h[:]
}

// newRefreshToken returns a fresh token of the family and its hash.
func newRefreshToken(family []byte) (string, []byte) {
	b := make([]byte, familyLen+refreshSecretLen)
	copy(b, family)
	rand.Read(b[familyLen:])
	tok := refreshPrefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok)
}

// parsedToken is a well-formed refresh token: its decoded payload (from
// which the key sealing its successor is derived) and its family (nil for
// a token from before families).
type parsedToken struct {
	payload, family []byte
}

// parseRefreshToken reads a well-formed refresh token. Anything else
// (wrong prefix or length, non-canonical base64url) is refused before the
// store is asked.
func parseRefreshToken(tok string) (parsedToken, bool) {
	if (len(tok) != refreshTokenLen && len(tok) != legacyTokenLen) || !strings.HasPrefix(tok, refreshPrefix) {
		return parsedToken{}, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok[len(refreshPrefix):])
	switch {
	case err != nil:
		return parsedToken{}, false
	case len(b) == familyLen+refreshSecretLen:
		return parsedToken{payload: b, family: b[:familyLen]}, true
	case len(b) == refreshSecretLen:
		return parsedToken{payload: b}, true
	}
	return parsedToken{}, false
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// sealAEAD is the AEAD that seals a token's successor, keyed from the
// token's payload, which is never stored, so a reader of the database
// cannot open the sealed successor.
func sealAEAD(secret []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, sealInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts successor under the key derived from secret, bound to the
// old token's hash as additional data. Output: nonce || ciphertext.
func seal(secret, oldHash []byte, successor string) ([]byte, error) {
	aead, err := sealAEAD(secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(successor)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, []byte(successor), oldHash), nil
}

func unseal(secret, oldHash, sealed []byte) (string, error) {
	aead, err := sealAEAD(secret)
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", errSeal
	}
	pt, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], oldHash)
	if err != nil {
		return "", errSeal
	}
	if _, ok := parseRefreshToken(string(pt)); !ok {
		return "", errSeal
	}
	return string(pt), nil
}

// newLegacyRefreshToken returns a fresh token without a family, for
// sessions from before families, and its hash.
func newLegacyRefreshToken() (string, []byte) {
	b := make([]byte, refreshSecretLen)
	rand.Read(b)
	tok := refreshPrefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok)
}
