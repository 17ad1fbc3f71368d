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

// A refresh token is "ghr_" followed by 32 random bytes in unpadded
// base64url: 256 bits of secret randomness. The store keeps only its
// SHA-256 hash.
const (
	refreshPrefix    = "ghr_"
	refreshSecretLen = 32
	refreshTokenLen  = len(refreshPrefix) + 43
)

// sealInfo separates the sealing key derived from a token from the token's
// stored hash (HKDF vs plain SHA-256) and from any future use.
const sealInfo = "gatehouse refresh successor seal v1"

var errSeal = errors.New("session: cannot open sealed successor")

// newRefreshToken returns a fresh token and its hash.
func newRefreshToken() (string, []byte) {
	b := make([]byte, refreshSecretLen)
	rand.Read(b) // never fails (crypto/rand contract since Go 1.24)
	tok := refreshPrefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok)
}

// parseRefreshToken returns the secret of a well-formed refresh token.
// Anything else (wrong prefix or length, non-canonical base64url) is
// refused before the store is asked.
func parseRefreshToken(tok string) ([]byte, bool) {
	if len(tok) != refreshTokenLen || !strings.HasPrefix(tok, refreshPrefix) {
		return nil, false
	}
	enc := tok[len(refreshPrefix):]
	b, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || len(b) != refreshSecretLen {
		return nil, false
	}
	return b, true
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// sealKey derives the AEAD key that seals a token's successor. It is
// derived from the token's secret, which is never stored, so a reader of
// the database cannot open the sealed successor.
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

// newID returns a random 128-bit identifier in unpadded base64url, used for
// session ids, jti and user ids.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewID returns a random 128-bit identifier (unpadded base64url) for users
// and clients.
func NewID() string { return newID() }
