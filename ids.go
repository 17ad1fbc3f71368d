package gatehouse

import (
	"crypto/rand"
	"encoding/base64"
)

// NewID returns a random 128-bit identifier in unpadded base64url (22
// characters): the one form of user ids, session ids and jti.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand contract since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
