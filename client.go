package gatehouse

import (
	"errors"
	"fmt"
	"time"
)

// Client is a registered OAuth client: an app its users log in through, a
// resource server that introspects tokens and reads the revocation feed,
// or a service that gets tokens of its own (client_credentials).
type Client struct {
	ID         string // client_id: chosen (ValidClientID) or generated
	Name       string
	SecretHash string // of the secret (password.SecretHash); empty for a public client
	Public     bool
	// Scopes bound what the client's tokens carry: a user logging in (or
	// refreshing) through it gets only those of its scopes that are here,
	// and its own tokens (client_credentials) carry these. Empty: its
	// users' tokens are not bounded, and it gets no scope of its own.
	Scopes []string
	// Audience is added to the aud of the client's tokens, before the
	// server's own audience.
	Audience []string
	// AccessTTL is the lifetime of the client's access tokens; zero is the
	// server's. It never exceeds the server's (--access-ttl), for which
	// retired signing keys stay published.
	AccessTTL time.Duration
	CreatedAt time.Time
	// Epoch, in whole seconds: every token the client obtained for itself
	// (client_credentials) with an iat before it is revoked. Rotating the
	// secret moves it (NextClientEpoch). Zero for a client that never moved it.
	Epoch time.Time
	// AccessIssuedAt and AccessExpiresAt are the latest iat and exp of an
	// access token the client obtained for itself: a new epoch must be
	// after the one, and a revocation of those tokens matters until the
	// other.
	AccessIssuedAt  time.Time
	AccessExpiresAt time.Time
}

// Confidential reports whether the client authenticates with a secret.
func (c *Client) Confidential() bool { return !c.Public && c.SecretHash != "" }

// FirstPartyClientID is the built-in public client used when /token is
// called without a client_id.
const FirstPartyClientID = "gatehouse"

// MaxClientIDLength bounds a client_id.
const MaxClientIDLength = 64

// ErrInvalidClientID: a chosen client_id that ValidClientID refuses.
var ErrInvalidClientID = errors.New("gatehouse: invalid client_id")

// ValidClientID checks a chosen client_id ("orders-api", "my-spa"): 1 to
// 64 characters of A-Z a-z 0-9 and "-", ".", "_", "~" (RFC 3986
// unreserved: the same in a form, a URL and HTTP Basic), beginning with a
// letter or digit, and not the first-party client's. A client_id is also
// the sub of the client's own tokens (RFC 9068 §2.2): stores refuse one
// that is a user's id, so that no such token can pass for a user's.
func ValidClientID(id string) error {
	if id == "" || len(id) > MaxClientIDLength {
		return fmt.Errorf("%w: 1 to %d characters", ErrInvalidClientID, MaxClientIDLength)
	}
	if id == FirstPartyClientID {
		return fmt.Errorf("%w: %q is the built-in first-party client", ErrInvalidClientID, id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '.' && c != '_' && c != '~') {
			return fmt.Errorf("%w: letters, digits and - . _ ~, beginning with a letter or digit", ErrInvalidClientID)
		}
	}
	return nil
}

// NextClientEpoch is the epoch that replaces c's when its own tokens are
// revoked at now: the next whole second after now (tokens carry iat in
// whole seconds, so every token issued up to now has an earlier iat), and
// after c's epoch and the iat of every token recorded for it (which a
// process with a clock ahead may have issued).
func NextClientEpoch(now time.Time, c *Client) time.Time {
	next := now.UTC().Truncate(time.Second).Add(time.Second)
	for _, t := range []time.Time{c.Epoch, c.AccessIssuedAt} {
		if !next.After(t) {
			next = t.UTC().Truncate(time.Second).Add(time.Second)
		}
	}
	return next
}

// ClientTokenValid reports whether a client's own access token (sub equal
// to client_id, no session) with claims c may be honoured by Gatehouse's
// own endpoints: its client still exists, is confidential and has not
// revoked its tokens since c was issued.
func ClientTokenValid(cl *Client, c *Claims) bool {
	return cl != nil && c != nil && c.SessionID == "" && c.Subject == cl.ID && c.ClientID == cl.ID &&
		cl.Confidential() && !c.IssuedAt.Before(cl.Epoch)
}
