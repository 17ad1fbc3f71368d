package account

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the Service. Each wraps nothing of the store; httpapi maps them
// to the wire in one table. password.ErrTooShort, password.ErrTooLong and
// password.ErrBusy come through as they are.
var (
	// ErrNotFound: no such user.
	ErrNotFound = errors.New("account: no such user")
	// ErrUsernameTaken: another user has the canonical form of the name.
	ErrUsernameTaken = errors.New("account: username taken")
	// ErrInvalidScope: a scope is not an RFC 6749 scope token (changes), or
	// the requested scope exceeds the user's (login).
	ErrInvalidScope = errors.New("account: invalid scope")
	// ErrBadCredentials: the one answer to a wrong password, an unknown
	// user, a malformed name and a disabled account: it never says which.
	ErrBadCredentials = errors.New("account: invalid username or password")
	// ErrSessionEnded: the session that asks for a change of its own user
	// is no longer valid (ended, or its user disabled, deleted or moved to
	// a new epoch).
	ErrSessionEnded = errors.New("account: the session ended; log in again")
	// ErrContended: the user kept changing under a change, which was given
	// up after several attempts; nothing was written.
	ErrContended = errors.New("account: the user changed concurrently; try again")
	// ErrInvalidPasswordHash: a password hash brought in is not one
	// Gatehouse verifies (password.CheckHash says why), or came with a
	// password.
	ErrInvalidPasswordHash = errors.New("account: invalid password hash")
)

// ThrottledError: too many attempts; retry after RetryAfter.
type ThrottledError struct {
	RetryAfter time.Duration
	Signup     bool // the sign-up limit, not the login throttle
}

func (e *ThrottledError) Error() string {
	what := "login"
	if e.Signup {
		what = "sign-up"
	}
	return fmt.Sprintf("account: too many %s attempts; retry after %v", what, e.RetryAfter)
}
