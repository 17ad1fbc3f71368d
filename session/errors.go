package session

import "errors"

// Domain errors. httpapi maps them to the wire (RFC 6749 §5.2, RFC 6750).
var (
	// ErrInvalidGrant: the refresh token is unknown, ended, reused, bound to
	// another client, or its user is disabled; or the user of a login is
	// disabled. The answer never says which.
	ErrInvalidGrant = errors.New("session: invalid grant")
	// ErrInvalidScope: the requested scope is not a subset of what the user
	// has (login) or of what the session was granted (refresh).
	ErrInvalidScope = errors.New("session: invalid scope")
	// ErrInvalidToken: an access token failed verification or was revoked.
	ErrInvalidToken = errors.New("session: invalid token")
)
