package password

import (
	"fmt"
	"regexp"
	"strconv"

	"golang.org/x/crypto/bcrypt"
)

// bcryptMaxPassword is the number of password bytes bcrypt reads; it
// ignores the rest.
const bcryptMaxPassword = 72

// bcryptMaxCost bounds the cost of an imported bcrypt hash (2^16 rounds
// take seconds already).
const bcryptMaxCost = 16

// bcryptPattern is $2a$, $2b$ or $2y$, a two-digit cost, 22 characters of
// salt and 31 of hash in bcrypt's base64.
var bcryptPattern = regexp.MustCompile(`^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$`)

// bcryptHash is an imported bcrypt hash.
type bcryptHash struct{ encoded []byte }

func parseBcrypt(s string) (*bcryptHash, error) {
	m := bcryptPattern.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("%w: malformed bcrypt hash", ErrUnknownFormat)
	}
	if cost, _ := strconv.Atoi(m[1]); cost < bcrypt.MinCost || cost > bcryptMaxCost {
		return nil, fmt.Errorf("%w: bcrypt cost %d out of bounds", ErrUnknownFormat, cost)
	}
	return &bcryptHash{encoded: []byte(s)}, nil
}

// matches reports whether pw is the password of b. A password longer than
// 72 bytes never matches: bcrypt would ignore its tail, so a wrong password
// that shares the first 72 bytes of the right one would get in. It is still
// hashed (its first 72 bytes), so that refusing it costs what checking it
// would.
func (b *bcryptHash) matches(_ *Hasher, pw []byte) bool {
	if len(pw) > bcryptMaxPassword {
		_ = bcrypt.CompareHashAndPassword(b.encoded, pw[:bcryptMaxPassword])
		return false
	}
	return bcrypt.CompareHashAndPassword(b.encoded, pw) == nil
}

func (b *bcryptHash) current(*Config) bool { return false }
