package gatehouse

import (
	"context"
	"time"
)

// The storage contracts. Each method states its errors; stores wrap their
// driver errors with %w and return the sentinels of errors.go where named.
// store/storetest is the conformance suite every implementation passes.

// UserStore keeps user accounts.
type UserStore interface {
	// CreateUser inserts u. ErrConflict if u.ID or u.Username exists.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns the user or ErrNotFound.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByUsername returns the user with exactly this (canonical)
	// username or ErrNotFound.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// ListUsers returns every user ordered by username.
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser writes PasswordHash, Scopes, Disabled, UpdatedAt and
	// PasswordChangedAt of the user with u.ID. ErrNotFound if absent.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes the user and its sessions. ErrNotFound if absent.
	DeleteUser(ctx context.Context, id string) error
}

// ClientStore keeps registered clients.
type ClientStore interface {
	// CreateClient inserts c. ErrConflict if c.ID exists.
	CreateClient(ctx context.Context, c *Client) error
	// ClientByID returns the client or ErrNotFound.
	ClientByID(ctx context.Context, id string) (*Client, error)
	// ListClients returns every client ordered by name.
	ListClients(ctx context.Context) ([]*Client, error)
}

// SessionStore keeps sessions and their refresh tokens.
type SessionStore interface {
	// CreateSession inserts s and its first refresh token in one atomic
	// operation. first.SessionID must equal s.ID. ErrConflict on a
	// duplicate id or hash.
	CreateSession(ctx context.Context, s *Session, first *RefreshToken) error
	// Session returns the session (active or not) or ErrNotFound.
	Session(ctx context.Context, id string) (*Session, error)
	// ListSessions returns the user's sessions that are active at now,
	// most recently used first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]*Session, error)
	// RotateRefreshToken is one atomic operation, safe under any
	// concurrency and across processes sharing the database:
	//   - the old token is live and its session active at r.Now: it is
	//     marked rotated (RotatedAt, SuccessorHash, SealedSuccessor =
	//     r.SealedNext), r.Next is inserted as the live token, the
	//     session's LastUsedAt and IdleExpiresAt slide; Retry is false.
	//   - the old token was rotated less than r.Grace ago and its successor
	//     is still live (not rotated) and the session active: nothing is
	//     written; Retry is true and SealedSuccessor is the stored one.
	//   - the old token was rotated otherwise: ErrTokenReused, nothing is
	//     written (the caller revokes the session). The result's Session
	//     is still filled in so the caller knows which one.
	//   - the session is revoked or expired: ErrSessionEnded.
	//   - no token has r.OldHash: ErrNotFound.
	// Of any number of concurrent calls with one old hash, exactly one
	// rotates; the others see its successor as a retry (or reuse).
	RotateRefreshToken(ctx context.Context, r *Rotation) (*RotationResult, error)
	// SessionByRefreshHash returns the session a refresh token (live or
	// rotated) belongs to, or ErrNotFound.
	SessionByRefreshHash(ctx context.Context, hash []byte) (*Session, error)
	// RevokeSession marks the session revoked (if it is not already) and
	// adds a "sid" entry to the revocation feed, forgettable at forgetAt.
	// Revoking a revoked session is not an error. ErrNotFound if absent.
	RevokeSession(ctx context.Context, id, reason string, at, forgetAt time.Time) error
	// RevokeUserSessions revokes every active session of the user as
	// RevokeSession does and returns how many it revoked.
	RevokeUserSessions(ctx context.Context, userID, reason string, at, forgetAt time.Time) (int, error)
}

// RevocationStore keeps revoked access tokens and the revocation feed.
type RevocationStore interface {
	// RevokeAccessToken adds a "jti" entry to the feed, forgettable at
	// forgetAt (the token's exp). Revoking twice is not an error.
	RevokeAccessToken(ctx context.Context, jti string, at, forgetAt time.Time) error
	// IsRevoked reports whether the access token jti, or the session sid,
	// has an entry in the feed. Either may be empty.
	IsRevoked(ctx context.Context, jti, sid string) (bool, error)
	// Revocations returns up to limit entries with Cursor > since, in
	// cursor order, leaving out those already forgettable at now.
	Revocations(ctx context.Context, since int64, limit int, now time.Time) ([]Revocation, error)
}

// KeyStore keeps signing keys.
type KeyStore interface {
	// SigningKeys returns every stored key, newest first.
	SigningKeys(ctx context.Context) ([]*SigningKey, error)
	// InitSigningKeys stores active and next if, and only if, there are no
	// keys yet, atomically (two processes starting at once on an empty
	// database end with one pair). It reports whether it stored them.
	InitSigningKeys(ctx context.Context, active, next *SigningKey) (bool, error)
	// RotateSigningKeys atomically retires the active key (RetiredAt =
	// now), makes the next key active, and stores newNext as the next key.
	// ErrNotFound if there is no active or next key.
	RotateSigningKeys(ctx context.Context, newNext *SigningKey, now time.Time) error
	// DeleteSigningKey removes a key (retired keys whose tokens expired).
	DeleteSigningKey(ctx context.Context, id string) error
}

// AuditStore keeps audit events.
type AuditStore interface {
	// RecordEvent appends e; ID is assigned by the store.
	RecordEvent(ctx context.Context, e *Event) error
	// Events returns up to limit events with ID < before (all when before
	// is 0), newest first, optionally only those of one user.
	Events(ctx context.Context, userID string, before int64, limit int) ([]*Event, error)
}

// PurgeStats counts what a Purge removed.
type PurgeStats struct {
	Sessions    int // sessions (and their refresh tokens) ended before the cutoff
	Revocations int // feed entries past ForgetAt
}

// Store is everything Gatehouse keeps.
type Store interface {
	UserStore
	ClientStore
	SessionStore
	RevocationStore
	KeyStore
	AuditStore
	// Purge deletes sessions whose ExpiresAt or IdleExpiresAt, or
	// RevokedAt, is before sessionCutoff (with their refresh tokens), and
	// feed entries with ForgetAt before now. Several processes may call
	// it at once; none fails because another deleted first.
	Purge(ctx context.Context, now, sessionCutoff time.Time) (PurgeStats, error)
	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	Close() error
}
