package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KEKSize is the size of a key-encryption key: 256 bits.
const KEKSize = 32

// KEK is a key-encryption key: it seals the private halves of signing keys
// at rest, so that a copy of the database alone holds none in the clear. It
// is kept outside the database (a file, or an environment variable).
//
// Sealing is AES-256-GCM (crypto/aes, crypto/cipher) under a key derived
// from the KEK with HKDF-SHA-256 (crypto/hkdf), with a random 96-bit nonce
// per sealing (a few keys a month: far below the bound on random nonces),
// and the key's algorithm and kid as additional data, so that a sealed key
// opens only in the row of that kid. A KEK is safe for concurrent use.
type KEK struct {
	id   string
	aead cipher.AEAD
}

// HKDF labels: one derived key per purpose, so the KEK itself is never
// used directly and its id reveals nothing of the sealing key.
const (
	kekSealInfo = "gatehouse signing-key seal v1"
	kekIDInfo   = "gatehouse kek id v1"
	sealVersion = 1
	sealNonce   = 12
)

// ErrWrongKEK: a stored key is sealed under another key-encryption key
// than the one given (or was altered: its seal does not open).
var ErrWrongKEK = errors.New("token: the key-encryption key does not open this key")

// NewKEK returns the KEK of raw, which must be KEKSize bytes.
func NewKEK(raw []byte) (*KEK, error) {
	if len(raw) != KEKSize {
		return nil, fmt.Errorf("token: a key-encryption key is %d bytes, not %d", KEKSize, len(raw))
	}
	sealKey, err := hkdf.Key(sha256.New, raw, nil, kekSealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("token: derive sealing key: %w", err)
	}
	id, err := hkdf.Key(sha256.New, raw, nil, kekIDInfo, 12)
	if err != nil {
		return nil, fmt.Errorf("token: derive key-encryption key id: %w", err)
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return &KEK{id: base64.RawURLEncoding.EncodeToString(id), aead: aead}, nil
}

// ParseKEK reads the text form of a KEK: KEKSize bytes in standard base64
// (what `openssl rand -base64 32` prints), surrounding white space ignored.
// Its errors never quote the text.
func ParseKEK(text []byte) (*KEK, error) {
	s := strings.TrimSpace(string(text))
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != KEKSize {
		return nil, fmt.Errorf("token: a key-encryption key is %d random bytes in standard base64 (44 characters, as `openssl rand -base64 32` prints)", KEKSize)
	}
	return NewKEK(raw)
}

// GenerateKEK returns the text form of a new random KEK (ParseKEK reads
// it), with a final newline.
func GenerateKEK() []byte {
	raw := make([]byte, KEKSize)
	rand.Read(raw) // never fails (crypto/rand contract since Go 1.24)
	return []byte(base64.StdEncoding.EncodeToString(raw) + "\n")
}

// ID names the KEK without revealing it (16 characters): stored beside
// each sealed key, so that a process knows which KEK a key needs.
func (k *KEK) ID() string { return k.id }

// additionalData binds a sealed key to its algorithm and kid.
func additionalData(alg Algorithm, kid string) []byte {
	return []byte("gatehouse signing key\x00" + string(alg) + "\x00" + kid)
}

// seal returns version || nonce || AES-GCM(plain).
func (k *KEK) seal(alg Algorithm, kid string, plain []byte) []byte {
	out := make([]byte, 1+sealNonce, 1+sealNonce+len(plain)+k.aead.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:]) // never fails
	return k.aead.Seal(out, out[1:1+sealNonce], plain, additionalData(alg, kid))
}

// open reverses seal; ErrWrongKEK when the seal does not open.
func (k *KEK) open(alg Algorithm, kid string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1+sealNonce+k.aead.Overhead() || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: not a sealed key", ErrWrongKEK)
	}
	plain, err := k.aead.Open(nil, sealed[1:1+sealNonce], sealed[1+sealNonce:], additionalData(alg, kid))
	if err != nil {
		return nil, ErrWrongKEK
	}
	return plain, nil
}
