package gatehouse

import (
	"context"
	"time"
)

// The storage contracts. Each method states its errors; stores wrap their
// driver errors with %w and return the sentinels of errors.go where named.
// store/storetest is the conformance suite every implementation passes.

// UserStore keeps user accounts. Every write to a user is conditional on
// the state it was decided from, so that no write undoes another that
// happened since it was read (docs/security.md).
type UserStore interface {
	// CreateUser inserts u (its custom claims too) with Version 1
	// (u.Version is set). ErrConflict if u.ID or u.Username exists.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns the user or ErrNotFound.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByUsername returns the user with exactly this (canonical)
	// username or ErrNotFound.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// ListUsers returns, ordered by username (byte order), the users whose
	// username sorts after after ("" for the first page), at most limit of
	// them (every one when limit <= 0): a page, and after the last
	// username of a page is the cursor of the next.
	ListUsers(ctx context.Context, after string, limit int) ([]*User, error)
	// UsersByUsername returns the users with exactly these usernames that
	// exist, in no particular order; names that are not a user's are left
	// out. Any number of names may be asked for at once.
	UsersByUsername(ctx context.Context, usernames []string) ([]*User, error)
	// UpdateUser writes PasswordHash, Scopes, Disabled, Claims, UpdatedAt,
	// PasswordChangedAt and Epoch of the user with u.ID if, and only if,
	// its stored Version is u.Version, and stores Version+1 (u.Version is
	// set). ErrNotFound if absent; ErrStale if the Version differs or
	// u.Epoch is before the stored epoch (an epoch never moves back), and
	// then nothing is written. Epochs are compared at the microsecond every
	// store keeps.
	//
	// When u.Epoch differs from the stored epoch, the same atomic operation
	// ends the user's sessions: every session active at u.UpdatedAt is
	// revoked with reason, a "sid" feed entry is added for each, and a
	// "user" entry (Value u.ID, Time u.Epoch) replaces the user's previous
	// one, with a new cursor. Each entry's ForgetAt is ForgetAt of the
	// latest access token it can match (the AccessExpiresAt of the sessions
	// still stored), and a replacing "user" entry is never forgettable
	// before the one it replaces. It returns how many sessions it ended.
	UpdateUser(ctx context.Context, u *User, reason string) (int, error)
	// ReplacePasswordHash sets the password hash of the user id to newHash
	// and UpdatedAt to at if, and only if, the hash is still oldHash (the
	// rehash after a login; the password itself does not change, so neither
	// does the epoch), and moves Version on. ErrStale if the hash is
	// another; ErrNotFound.
	ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string, at time.Time) error
	// DeleteUser removes the user and its sessions in one atomic operation,
	// adding to the feed a "sid" entry for each session active at at and a
	// "user" entry (Time at) for every token issued before. It returns how
	// many active sessions it ended. ErrNotFound if absent.
	DeleteUser(ctx context.Context, id, reason string, at time.Time) (int, error)
	// ImportUsers writes many users in one atomic operation, all or
	// nothing: every user of creates is inserted as CreateUser inserts it,
	// and every user of updates is written as UpdateUser writes it
	// (conditional on its Version; when its Epoch moves, its sessions end
	// with reason, with their feed entries, at its UpdatedAt). ErrConflict
	// if a user of creates has a taken id or username (or two share one);
	// ErrStale if a user of updates is gone or its Version or Epoch is not
	// the stored one; then nothing at all is written. On success every
	// user's Version is set. It returns how many sessions ended.
	ImportUsers(ctx context.Context, creates, updates []*User, reason string) (int, error)
}

// ClientStore keeps registered clients.
type ClientStore interface {
	// CreateClient inserts c (every field; AccessTTL to the microsecond).
	// ErrConflict if c.ID is a client's id or a user's id (a client's own
	// tokens carry its id as sub, which must never be a user's: RFC 9068
	// §5).
	CreateClient(ctx context.Context, c *Client) error
	// ClientByID returns the client or ErrNotFound.
	ClientByID(ctx context.Context, id string) (*Client, error)
	// ListClients returns every client ordered by name (byte order), then id.
	ListClients(ctx context.Context) ([]*Client, error)
	// RotateClientSecret sets the client's SecretHash to secretHash and
	// its Epoch to epoch, if, and only if, epoch is after the stored Epoch
	// and AccessIssuedAt (ErrStale otherwise, and nothing is written: the
	// caller reads the client again), and in the same atomic
	// operation replaces the feed's "user" entry of the client's id by one
	// for every token issued before epoch, forgettable at ForgetAt(epoch,
	// the client's AccessExpiresAt) and never before the entry it
	// replaces. ErrNotFound if absent.
	RotateClientSecret(ctx context.Context, id, secretHash string, epoch time.Time) error
	// RecordClientToken raises the client's AccessIssuedAt to iat and
	// AccessExpiresAt to exp (it never lowers them) if, and only if, the
	// client's Epoch is still epoch: the epoch its secret was checked
	// under. ErrStale if the epoch moved (the secret was rotated
	// meanwhile: the caller hands out nothing); ErrNotFound if the client
	// is gone. Called before a client's own token is handed out, so that
	// the next epoch is after its iat and revocations cover it.
	RecordClientToken(ctx context.Context, id string, epoch, iat, exp time.Time) error
	// DeleteClient removes the client and, in the same atomic operation,
	// revokes (with reason, at at) every session of the client active at
	// at, adding a "sid" feed entry for each (as RevokeSession does), and
	// replaces the feed's "user" entry of the client's id by one for
	// every token issued before epoch, as RotateClientSecret does, if,
	// and only if, epoch is after the stored Epoch and AccessIssuedAt
	// (ErrStale otherwise, and nothing is written). It returns how many
	// sessions it ended. ErrNotFound if absent.
	DeleteClient(ctx context.Context, id, reason string, at, epoch time.Time) (int, error)
}

// SessionStore keeps sessions and their refresh tokens.
type SessionStore interface {
	// CreateSession inserts s and its first refresh token in one atomic
	// operation, if, and only if, the user s.UserID still exists, is not
	// disabled and is in epoch s.Epoch: a login whose user changed since
	// the password was checked creates nothing (ErrStale). first.SessionID
	// must equal s.ID. ErrConflict on a duplicate id, hash or family.
	CreateSession(ctx context.Context, s *Session, first *RefreshToken) error
	// Session returns the session (active or not) or ErrNotFound.
	Session(ctx context.Context, id string) (*Session, error)
	// TokenState returns, in one read, what decides whether an access
	// token of session sid with id jti, signed by the key kid, may be
	// honoured: the session, its user (nil if gone), whether jti has a
	// "jti" feed entry and whether kid has a "kid" feed entry (an empty
	// jti or kid has none). ErrNotFound if the session does not exist.
	TokenState(ctx context.Context, sid, jti, kid string) (*TokenState, error)
	// ListSessions returns the user's sessions that are active at now,
	// most recently used first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]*Session, error)
	// RotateRefreshToken is one atomic operation, safe under any
	// concurrency and across processes sharing the database:
	//   - the old token is live, its session bound to r.ClientID and active
	//     at r.Now, and its user
	//     existing, enabled and in the session's epoch: it is marked rotated
	//     (RotatedAt, SuccessorHash, SealedSuccessor = r.SealedNext), r.Next
	//     is inserted as the live token, every older retired token of the
	//     session is deleted (a session keeps at most two rows: the live
	//     token and the one it replaced), the session's LastUsedAt,
	//     IdleExpiresAt, LastIP, LastUserAgent and AccessExpiresAt move on;
	//     Retry is false, and User is the session's user as it is then.
	//   - otherwise nothing is written, and the state read in the same
	//     atomic operation decides (DecideRotation): OutcomeRetry gives
	//     Retry true, the user read, and the stored SealedSuccessor (empty once
	//     DropSealedSuccessors dropped it: the caller then refuses, as it
	//     has nothing to hand out); OutcomeReused gives
	//     ErrTokenReused with the result's Session filled in (the caller
	//     revokes it); OutcomeEnded gives ErrSessionEnded;
	//     OutcomeWrongClient gives ErrWrongClient.
	//   - no token has r.OldHash: ErrNotFound.
	// Of any number of concurrent calls with one old hash, exactly one
	// rotates; the others see its successor as a retry (or reuse).
	RotateRefreshToken(ctx context.Context, r *Rotation) (*RotationResult, error)
	// SessionByRefreshHash returns the session a refresh token (live or
	// rotated, and still stored) belongs to, or ErrNotFound.
	SessionByRefreshHash(ctx context.Context, hash []byte) (*Session, error)
	// SessionByFamily returns the session whose FamilyHash is familyHash,
	// or ErrNotFound.
	SessionByFamily(ctx context.Context, familyHash []byte) (*Session, error)
	// RevokeSession marks the session revoked (if it is not already: the
	// first revocation's time and reason stay) and adds a "sid" entry to the
	// revocation feed, forgettable at ForgetAt of the session's
	// AccessExpiresAt as it is when the revocation is written (a rotation
	// racing it cannot raise it unseen); a second revocation may make the
	// entry last longer, never shorter. Revoking a revoked session is not an
	// error. ErrNotFound if absent.
	RevokeSession(ctx context.Context, id, reason string, at time.Time) error
	// DropSealedSuccessors forgets the sealed successors of tokens rotated
	// before rotatedBefore: past the grace window no retry needs them, and
	// kept they would let a copy of the database and the retired token open
	// the live one. It returns how many it dropped.
	DropSealedSuccessors(ctx context.Context, rotatedBefore time.Time) (int, error)
}

// TokenState is what TokenState reads.
type TokenState struct {
	Session    *Session
	User       *User // nil if the user no longer exists
	JTIRevoked bool
	// KIDRevoked: the key that signed the token was revoked (every process
	// refuses its tokens at once, before it reloads its keys).
	KIDRevoked bool
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
	// RevocationBounds reads, in one consistent read, how far the feed
	// goes (FeedBounds). A reader calls it before Revocations: every entry
	// committed at or below Head is then visible to that later read.
	RevocationBounds(ctx context.Context) (FeedBounds, error)
	// WaitRevocations blocks until the feed's head may be past since (an
	// entry committed by this process or by another sharing the database)
	// and returns nil, or returns ctx's error once ctx ends. It may return
	// early; the caller reads the feed again. docs/revocation.md says how
	// soon each store wakes its waiters.
	WaitRevocations(ctx context.Context, since int64) error
}

// FeedBounds are the two ends of the revocation feed.
type FeedBounds struct {
	// Head is the highest cursor committed (0 while the feed never had an
	// entry). Cursors are committed in cursor order, so a reader that has
	// seen Head will never find a new entry at or below it.
	Head int64
	// Floor is the highest cursor below which nothing is stored any more:
	// Purge removed those entries, or a later entry replaced them. A
	// reader whose cursor is below Floor has missed entries (forgettable
	// ones, but it cannot tell) and must resynchronise. Floor <= Head.
	Floor int64
}

// KeyStore keeps the signing keys and the key policy (docs/keys.md). It
// never holds a private key in the clear: keys arrive sealed under the
// policy's key-encryption key, except rows written before keys were
// sealed, which SealSigningKeys replaces. Every write is conditional on the
// state the caller decided from, so that processes sharing the store (the
// replicas, the command line) agree on one active key.
type KeyStore interface {
	// SigningKeys returns the key policy and every stored key, newest
	// first, as one consistent snapshot. The policy of a store that never
	// had one is the default (ES256, 720h, 5m).
	SigningKeys(ctx context.Context) (*KeyPolicy, []*SigningKey, error)
	// SetKeyPolicy writes Algorithm, Rotation, JWKSMaxAge and
	// JWKSStaleUntil if, and only if, the stored Version is p.Version, and
	// stores Version+1 (p.Version is set). ErrStale otherwise. It never
	// writes KEKID (SealSigningKeys does).
	SetKeyPolicy(ctx context.Context, p *KeyPolicy) error
	// InitSigningKeys stores active and next if, and only if, there are no
	// keys yet and both are sealed under the policy's KEKID, atomically (two
	// processes starting at once on an empty database end with one pair).
	// It reports whether it stored them; ErrStale if the KEK is another.
	InitSigningKeys(ctx context.Context, active, next *SigningKey) (bool, error)
	// RotateSigningKeys, if, and only if, r.ActiveID is the active key,
	// r.NextID the next key and r.NewNext is sealed under the policy's
	// KEKID: retires the active key (RetiredAt r.Now, its private part
	// destroyed), makes the next key active (ActivatedAt r.Now) and stores
	// r.NewNext as the next key, atomically. ErrStale otherwise (another
	// process rotated first, or the KEK changed); ErrConflict if
	// r.NewNext's id exists.
	RotateSigningKeys(ctx context.Context, r *KeyRotation) error
	// ReplaceNextKey deletes the next key oldID and stores next in its
	// place, if, and only if, oldID is still the next key and next is
	// sealed under the policy's KEKID (a next key never signed, so it can
	// go at once). ErrStale otherwise; ErrConflict if next's id exists.
	ReplaceNextKey(ctx context.Context, oldID string, next *SigningKey) error
	// RevokeSigningKey deletes the key r.ID, private part and all, and adds
	// a "kid" feed entry (Value r.ID, Time r.At, forgettable at the stored
	// policy's KIDForgetAt of its SignedUntil as it is when the revocation
	// is written); if the key
	// was active, the next key becomes active (ActivatedAt r.At) and
	// r.Replacement the next key; if it was the next key, r.Replacement
	// takes its place. One atomic operation; it returns the key as it was.
	// ErrNotFound if there is no key r.ID; ErrStale if r.Replacement is
	// needed and missing or not sealed under the policy's KEKID.
	RevokeSigningKey(ctx context.Context, r *KeyRevocation) (*SigningKey, error)
	// RecordSigned raises the key's SignedUntil to until (never lowers it).
	// ErrNotFound if the key is gone (revoked, or retired and deleted): the
	// caller must not sign with it. A token is handed out only after the
	// SignedUntil covering its exp is durable.
	RecordSigned(ctx context.Context, id string, until time.Time) error
	// DeleteRetiredKey deletes the key id if, and only if, it is retired
	// and both its RetiredAt and its SignedUntil are before before
	// (conditional, so a RecordSigned racing it either lands first and
	// keeps the key, or finds it gone). It reports whether it deleted it.
	DeleteRetiredKey(ctx context.Context, id string, before time.Time) (bool, error)
	// SealSigningKeys, if, and only if, the policy's KEKID is s.From and
	// every stored key with a private part is in s.Keys, writes each key's
	// PublicKey, PrivateKey and KEKID from s.Keys and sets the policy's
	// KEKID to s.To, atomically. ErrStale otherwise (a key was added or the
	// KEK changed since the caller read them); ErrNotFound if a key of
	// s.Keys is gone. Stores make the replaced bytes unreadable where the
	// database allows it (SQLite: secure_delete and a checkpoint).
	SealSigningKeys(ctx context.Context, s *KeySealing) error
}

// AuditStore keeps audit events.
type AuditStore interface {
	// RecordEvent appends e; ID is assigned by the store.
	RecordEvent(ctx context.Context, e *Event) error
	// Events returns up to limit events with ID < before (all when before
	// is 0), newest first, optionally only those of one user.
	Events(ctx context.Context, userID string, before int64, limit int) ([]*Event, error)
	// PurgeEvents deletes events whose Time is before before, in small
	// batches (each its own short atomic operation, so it holds no lock for
	// long), and returns how many it deleted. An event recorded out of time
	// order (a clock behind another process's) may stay until the next
	// call. Several processes may call it at once; none fails because
	// another deleted first.
	PurgeEvents(ctx context.Context, before time.Time) (int, error)
}

// PurgeStats counts what a Purge removed.
type PurgeStats struct {
	Sessions    int // sessions (and their refresh tokens) ended before the cutoff
	Revocations int // feed entries past ForgetAt
	Events      int // audit events past their retention (PurgeEvents)
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
	// feed entries with ForgetAt before now, and moves the feed's Floor up
	// to below the lowest entry still stored (FeedBounds) with every
	// entry it deletes. It works in small batches, each its own short
	// atomic operation (so a purge never holds a lock for long; the whole
	// is not atomic). Several processes may call it at once; none fails
	// because another deleted first (PostgreSQL: one replica does a
	// batch, a replica that finds another at it returns what it did).
	Purge(ctx context.Context, now, sessionCutoff time.Time) (PurgeStats, error)
	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	Close() error
}
