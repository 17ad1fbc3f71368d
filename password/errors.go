package password

import "errors"

// Errors returned by a Hasher. A wrong password is not an error: Verify
// reports it with ok=false and a nil error.
var (
	// ErrTooShort: the password is shorter than Config.MinLength (Hash and
	// CheckPolicy only; Verify accepts any length up to MaxLength).
	ErrTooShort = errors.New("password: too short")
	// ErrTooLong: the password is longer than Config.MaxLength. Returned
	// before any hashing.
	ErrTooLong = errors.New("password: too long")
	// ErrBusy: no hashing slot became free within Config.MaxWait (or the
	// context ended first; the context's error is then wrapped too).
	ErrBusy = errors.New("password: too many hashes in progress")
	// ErrUnknownFormat: the stored hash is not one this package verifies,
	// or is malformed, or has parameters outside the accepted bounds.
	ErrUnknownFormat = errors.New("password: unknown hash format")
)
