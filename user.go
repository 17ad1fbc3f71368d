package gatehouse

import (
	"encoding/json"
	"time"
)

// User is an account that logs in with a username and password.
//
// A user is one consistent thing: every write to it is conditional on the
// Version it was decided from (compare and swap), and every change that must
// end what was issued before it moves Epoch. See docs/security.md.
type User struct {
	ID           string // stable random id (NewID); the sub claim
	Username     string // canonical form (account.CanonicalUsername); unique
	PasswordHash string // PHC string (argon2id) or an imported bcrypt/passlib hash
	Scopes       []string
	Disabled     bool
	// Claims are the user's custom claims (CheckCustomClaims): every access
	// token of the user carries them at top level. Changing them does not
	// move the epoch: they reach the user's tokens at the next refresh.
	Claims    map[string]json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
	// PasswordChangedAt is when the password was last set.
	PasswordChangedAt time.Time
	// Version counts the writes to the user, from 1 at creation. A store
	// writes a user only if the stored Version is the one the writer read.
	Version int64
	// Epoch is the user's security epoch: every session created under an
	// earlier epoch, and every access token issued before it, is dead. A
	// password change, disabling, a scope taken away, ending all sessions
	// and deletion move it (NextEpoch). Zero for a user that never moved it.
	Epoch time.Time
}

// NextEpoch is the epoch that replaces current when it moves at now:
// later than both, in whole microseconds (what every store keeps), so that
// epochs strictly increase however close two moves are.
func NextEpoch(now, current time.Time) time.Time {
	next := now.UTC().Truncate(time.Microsecond)
	if !next.After(current) {
		next = current.UTC().Truncate(time.Microsecond).Add(time.Microsecond)
	}
	return next
}
