package password

import (
	"context"
	"strings"
)

// storedHash is a parsed stored hash of any supported format.
type storedHash interface {
	// matches reports whether pw is the password, in constant time with
	// respect to the stored tag.
	matches(h *Hasher, pw []byte) bool
	// current reports whether the hash is argon2id at the parameters of c.
	current(c *Config) bool
}

// parseHash recognises a stored hash by its prefix.
func parseHash(encoded string) (storedHash, error) {
	var (
		stored storedHash
		err    error
	)
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"), strings.HasPrefix(encoded, "$argon2i$"):
		stored, err = parseArgon2(encoded)
	case strings.HasPrefix(encoded, "$2"):
		stored, err = parseBcrypt(encoded)
	case strings.HasPrefix(encoded, "$pbkdf2-sha256$"):
		stored, err = parsePBKDF2(encoded)
	default:
		err = ErrUnknownFormat
	}
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return stored, nil
}

// Verify reports whether pw is the password of the stored hash encoded:
// an argon2id PHC string (this package's or passlib's), an argon2i one, a
// bcrypt hash ($2a$, $2b$, $2y$) or a passlib $pbkdf2-sha256$ hash.
//
// A wrong password is ok=false with a nil error. rehash is true when ok and
// encoded is not argon2id at the current parameters: the caller should
// store Hash(pw). A password longer than 72 bytes never matches a bcrypt
// hash. Errors: ErrTooLong (over MaxLength, before any hashing),
// ErrUnknownFormat (before any hashing), ErrBusy.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, rehash bool, err error) {
	if len(pw) > h.cfg.MaxLength {
		return false, false, ErrTooLong
	}
	stored, err := parseHash(encoded)
	if err != nil {
		return false, false, err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	ok = stored.matches(h, []byte(pw))
	return ok, ok && !stored.current(&h.cfg), nil
}

// VerifyDummy does the work of Verify against an argon2id hash at the
// current parameters that no password matches, and returns only its
// errors (ErrTooLong, ErrBusy). Call it for a login to an unknown user so
// that the answer takes as long as a wrong password for a real one.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	if len(pw) > h.cfg.MaxLength {
		return ErrTooLong
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	_ = h.dummy.matches(h, []byte(pw))
	return nil
}
