package gatehouse

import "errors"

// Storage sentinels. Every store returns these (possibly wrapped with %w) so
// callers can test them with errors.Is whatever the backend.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errors.New("gatehouse: not found")
	// ErrConflict: a record with the same unique key already exists.
	ErrConflict = errors.New("gatehouse: already exists")
	// ErrTokenReused: a refresh token that was already rotated was presented
	// outside the grace window, or was not the most recently rotated token of
	// its session. The caller must revoke the whole session.
	ErrTokenReused = errors.New("gatehouse: refresh token reused")
	// ErrSessionEnded: the session is revoked, idle-expired or past its
	// absolute lifetime.
	ErrSessionEnded = errors.New("gatehouse: session ended")
	// ErrWrongClient: the refresh token's session is bound to another
	// client than the one presenting it.
	ErrWrongClient = errors.New("gatehouse: refresh token bound to another client")
	// ErrStale: a conditional write found the record changed since it was
	// read (another Version of a user; a user no longer in the state a
	// password was checked against). Nothing was written; the caller reads
	// again and decides again, or gives up.
	ErrStale = errors.New("gatehouse: changed since read")
	// ErrUnavailable: the store cannot serve the call just now (the
	// database is down, frozen past the call's deadline, out of disk,
	// read-only, or out of connections). Nothing may be assumed written;
	// the caller answers "retry later" (503), never a 500. store/resilient
	// classifies the drivers' errors into it.
	ErrUnavailable = errors.New("gatehouse: store unavailable")
)
