package password

import (
	"crypto/subtle"

	"golang.org/x/crypto/argon2"

	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Bounds on the parameters of a stored argon2id hash, so that a hostile or
// mistaken imported hash cannot make one verification take gigabytes or
// minutes.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 64
	minArgonSalt   = 8
	minArgonKey    = 16
	maxArgonBytes  = 128 // salt and tag
)

// b64 is the PHC strings' base64: standard alphabet, no padding, canonical.
var b64 = base64.RawStdEncoding.Strict()

// decodeB64 decodes a base64 segment of a stored hash with enc. Go's
// base64 decoders skip CR and LF anywhere in their input, Strict ones
// too: a segment holding either is refused, so that an accepted hash has
// one spelling (FuzzParseHash found "…$000\r00" accepted as "…$00000").
func decodeB64(enc *base64.Encoding, s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, ErrUnknownFormat
	}
	return enc.DecodeString(s)
}

// argon2Hash is a parsed argon2id (or, imported, argon2i) PHC string
// (version 19).
type argon2Hash struct {
	argon2i      bool // the data-independent variant, imported only
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// String formats a as $argon2id$v=19$m=…,t=…,p=…$salt$tag (or $argon2i$).
func (a *argon2Hash) String() string {
	variant := "argon2id"
	if a.argon2i {
		variant = "argon2i"
	}
	return fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s",
		variant, a.memory, a.time, a.threads, b64.EncodeToString(a.salt), b64.EncodeToString(a.key))
}

// derive computes the n-byte tag of pw under a's parameters and salt.
func (a *argon2Hash) derive(h *Hasher, pw []byte, n int) []byte {
	if a.argon2i {
		return argon2.Key(pw, a.salt, a.time, a.memory, a.threads, uint32(n))
	}
	return h.idKey(pw, a.salt, a.time, a.memory, a.threads, uint32(n))
}

func (a *argon2Hash) matches(h *Hasher, pw []byte) bool {
	return subtle.ConstantTimeCompare(a.derive(h, pw, len(a.key)), a.key) == 1
}

func (a *argon2Hash) current(c *Config) bool {
	return !a.argon2i && a.memory == c.Memory && a.time == c.Time && a.threads == c.Threads &&
		len(a.key) == keyLen && len(a.salt) >= saltLen
}

// parseArgon2 parses the PHC string of an argon2id or argon2i hash, as
// written by this package, the reference implementation, argon2-cffi and
// passlib. Only version 19 is accepted (x/crypto implements no other), and
// no optional fields (keyid, data).
func parseArgon2(s string) (*argon2Hash, error) {
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || (f[1] != "argon2id" && f[1] != "argon2i") || f[2] != "v=19" {
		return nil, fmt.Errorf("%w: not an argon2id or argon2i v=19 PHC string", ErrUnknownFormat)
	}
	p := strings.Split(f[3], ",")
	if len(p) != 3 {
		return nil, fmt.Errorf("%w: argon2id parameters", ErrUnknownFormat)
	}
	m, err1 := phcUint(p[0], "m=", maxArgonMemory)
	t, err2 := phcUint(p[1], "t=", maxArgonTime)
	l, err3 := phcUint(p[2], "p=", 255)
	salt, err4 := decodeB64(b64, f[4])
	key, err5 := decodeB64(b64, f[5])
	switch {
	case err1 != nil || err2 != nil || err3 != nil || t < 1 || l < 1 || m < 8*l:
		return nil, fmt.Errorf("%w: argon2id parameters out of bounds", ErrUnknownFormat)
	case err4 != nil || err5 != nil:
		return nil, fmt.Errorf("%w: argon2id base64", ErrUnknownFormat)
	case len(salt) < minArgonSalt || len(salt) > maxArgonBytes ||
		len(key) < minArgonKey || len(key) > maxArgonBytes:
		return nil, fmt.Errorf("%w: argon2id salt or tag length", ErrUnknownFormat)
	}
	return &argon2Hash{argon2i: f[1] == "argon2i", memory: m, time: t, threads: uint8(l), salt: salt, key: key}, nil
}

// phcUint parses "name=decimal" with the decimal at most max.
func phcUint(s, name string, max uint32) (uint32, error) {
	digits, ok := strings.CutPrefix(s, name)
	if !ok {
		return 0, ErrUnknownFormat
	}
	n, err := parseDecimal(digits, uint64(max))
	return uint32(n), err
}

// parseDecimal parses a canonical decimal (digits only, no leading zero)
// of at most max.
func parseDecimal(s string, max uint64) (uint64, error) {
	if s == "" || (s[0] == '0' && len(s) > 1) || strings.TrimLeft(s, "0123456789") != "" {
		return 0, ErrUnknownFormat
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, ErrUnknownFormat
	}
	return n, nil
}
