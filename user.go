package gatehouse

import "time"

// User is an account that logs in with a username and password.
type User struct {
	ID           string // stable random id; the sub claim
	Username     string // canonical form (see CanonicalUsername); unique
	PasswordHash string // PHC string (argon2id) or an imported bcrypt/passlib hash
	Scopes       []string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// PasswordChangedAt is when the password was last set.
	PasswordChangedAt time.Time
}

// Client is a registered OAuth client: a first-party app, or a resource
// server that introspects tokens and reads the revocation feed.
type Client struct {
	ID         string
	Name       string
	SecretHash string // PHC string of the secret; empty for a public client
	Public     bool
	CreatedAt  time.Time
}

// FirstPartyClientID is the built-in public client used when /token is
// called without a client_id.
const FirstPartyClientID = "gatehouse"
