package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// Bounds on an imported passlib pbkdf2-sha256 hash.
const (
	maxPBKDF2Rounds = 5_000_000
	maxPBKDF2Salt   = 1024 // passlib's own limit
	pbkdf2KeyLen    = sha256.Size
)

// pbkdf2Hash is passlib's $pbkdf2-sha256$ROUNDS$SALT$CHECKSUM, where SALT
// and CHECKSUM are in passlib's "adapted base64" (ab64): the standard
// alphabet with '.' in place of '+', no padding.
type pbkdf2Hash struct {
	rounds   int
	salt     []byte
	checksum []byte
}

func parsePBKDF2(s string) (*pbkdf2Hash, error) {
	f := strings.Split(s, "$")
	if len(f) != 5 || f[0] != "" || f[1] != "pbkdf2-sha256" {
		return nil, fmt.Errorf("%w: not a passlib pbkdf2-sha256 hash", ErrUnknownFormat)
	}
	rounds, err := parseDecimal(f[2], maxPBKDF2Rounds)
	if err != nil || rounds < 1 {
		return nil, fmt.Errorf("%w: pbkdf2-sha256 rounds", ErrUnknownFormat)
	}
	salt, err1 := ab64Decode(f[3])
	sum, err2 := ab64Decode(f[4])
	if err1 != nil || err2 != nil || len(salt) > maxPBKDF2Salt || len(sum) != pbkdf2KeyLen {
		return nil, fmt.Errorf("%w: pbkdf2-sha256 salt or checksum", ErrUnknownFormat)
	}
	return &pbkdf2Hash{rounds: int(rounds), salt: salt, checksum: sum}, nil
}

// ab64Decode decodes passlib's adapted base64.
func ab64Decode(s string) ([]byte, error) {
	if strings.Contains(s, "+") {
		return nil, ErrUnknownFormat
	}
	return decodeB64(base64.RawStdEncoding, strings.ReplaceAll(s, ".", "+"))
}

func (p *pbkdf2Hash) matches(_ *Hasher, pw []byte) bool {
	sum, err := pbkdf2.Key(sha256.New, string(pw), p.salt, p.rounds, pbkdf2KeyLen)
	return err == nil && subtle.ConstantTimeCompare(sum, p.checksum) == 1
}

func (p *pbkdf2Hash) current(*Config) bool { return false }
