package password

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// Client secrets are not passwords: Gatehouse generates them with more than
// 256 bits of randomness, so there is no dictionary to slow down and a
// memory-hard hash would only make every introspection and revocation-feed
// call cost tens of milliseconds. They are stored as SHA-256, in this
// format.
const secretPrefix = "$gh-sha256$"

// SecretHash returns the stored form of a generated client secret:
// "$gh-sha256$" and the unpadded base64 of its SHA-256.
func SecretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return secretPrefix + base64.RawStdEncoding.EncodeToString(sum[:])
}

// IsSecretHash reports whether hash is in SecretHash's format. Client
// secrets stored otherwise (argon2id PHC strings) are checked with Verify.
func IsSecretHash(hash string) bool { return strings.HasPrefix(hash, secretPrefix) }

// VerifySecret reports, in constant time, whether secret matches a hash made
// by SecretHash. It is false for a hash of any other format.
func VerifySecret(secret, hash string) bool {
	if !IsSecretHash(hash) {
		return false
	}
	want := SecretHash(secret)
	return subtle.ConstantTimeCompare([]byte(want), []byte(hash)) == 1
}
