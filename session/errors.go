package session

import (
	"errors"

	"github.com/gatehouse/gatehouse"
)

// Domain errors. httpapi maps them to the wire (RFC 6749 §5.2, RFC 6750).
var (
	// ErrInvalidGrant: the refresh token is unknown, ended, reused, bound to
	// another client, or its user is disabled; or the user of a login is
	// disabled. The answer never says which.
	ErrInvalidGrant = errors.New("session: invalid grant")
	// ErrInvalidScope: the requested scope is not a subset of what the user
	// has (login) or of what the session was granted (refresh).
	ErrInvalidScope = errors.New("session: invalid scope")
	// ErrInvalidToken: an access token failed verification or was revoked,
	// or (AuthenticateUser) it is a client's own token where a user's is needed.
	ErrInvalidToken = errors.New("session: invalid token")
	// ErrUnauthorizedClient: a public client asked for a token of its own
	// (client_credentials is for confidential clients only, RFC 6749 §4.4).
	ErrUnauthorizedClient = errors.New("session: client not authorized for this grant")
	// ErrInvalidClient: the client changed (secret rotated, deleted) after
	// its secret was checked; nothing was handed out.
	ErrInvalidClient = errors.New("session: invalid client")
	// ErrUnavailable: the request cannot be served just now; retry shortly.
	// It is the store's gatehouse.ErrUnavailable: one "retry later" for
	// the whole server.
	ErrUnavailable = gatehouse.ErrUnavailable
)
