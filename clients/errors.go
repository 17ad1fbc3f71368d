package clients

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the Service. httpapi maps them to the wire in one table.
var (
	// ErrInvalidClient: client authentication failed (unknown client,
	// wrong or missing secret, a secret for a public client). It never
	// says which.
	ErrInvalidClient = errors.New("clients: client authentication failed")
	// ErrNotFound: no such client.
	ErrNotFound = errors.New("clients: no such client")
	// ErrIDTaken: a client, or a user, has this id.
	ErrIDTaken = errors.New("clients: client_id taken")
	// ErrInvalid: a field of a new client is not acceptable; the error
	// wrapping it says which and why.
	ErrInvalid = errors.New("clients: invalid client")
	// ErrContended: the client kept changing under a change, which was
	// given up; nothing was written.
	ErrContended = errors.New("clients: the client changed concurrently; try again")
)

// ThrottledError: too many failed client authentications of this client
// from this address; retry after RetryAfter.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("clients: too many failed client authentications; retry after %v", e.RetryAfter)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
