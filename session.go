package gatehouse

import "time"

// Session is one login: a family of refresh tokens of which at most one is
// live at a time.
type Session struct {
	ID       string
	UserID   string
	ClientID string
	// Scopes granted at login; a refresh may narrow them, never widen.
	Scopes []string
	// AuthTime is when the password was checked for this session.
	AuthTime   time.Time
	CreatedAt  time.Time
	LastUsedAt time.Time
	// IdleExpiresAt slides forward on each refresh, never past ExpiresAt.
	IdleExpiresAt time.Time
	// ExpiresAt is the absolute end of the session.
	ExpiresAt time.Time
	// UserAgent and IP are those of the login; LastUserAgent and LastIP
	// those of the latest refresh (the login's until there is one).
	UserAgent, IP         string
	LastUserAgent, LastIP string
	// RevokedAt is zero while the session is not revoked.
	RevokedAt    time.Time
	RevokeReason string
	// Epoch is the user's security epoch the session was created under: the
	// session lives only while the user's Epoch is still this one.
	Epoch time.Time
	// FamilyHash is the SHA-256 of the family secret that every refresh
	// token of the session carries, so that any token of the session, even
	// one whose row is gone, is recognised when it comes back (reuse). Nil
	// for sessions created before tokens carried a family.
	FamilyHash []byte
	// AccessExpiresAt is the latest exp of an access token minted for the
	// session: revocations of the session matter until then.
	AccessExpiresAt time.Time
}

// Active reports whether the session can still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.IdleExpiresAt) && now.Before(s.ExpiresAt)
}

// SessionValid reports whether an access token of session s of user u may
// be honoured at now by Gatehouse's own endpoints: the session is active,
// and its user exists, is enabled and is still in the security epoch the
// session was created under. This is decided from durable state, never
// from a revocation entry that may have been forgotten.
func SessionValid(s *Session, u *User, now time.Time) bool {
	return s != nil && u != nil && s.UserID == u.ID && s.Active(now) && !u.Disabled && u.Epoch.Equal(s.Epoch)
}

// RefreshToken is the stored form of a refresh token. The token itself is
// never stored: only its SHA-256 hash, so a copy of the database cannot be
// used to present it.
type RefreshToken struct {
	Hash      []byte // SHA-256 of the token string
	SessionID string
	CreatedAt time.Time
	// RotatedAt is zero while the token is the live one of its session.
	RotatedAt time.Time
	// SuccessorHash is the hash of the token that replaced this one.
	SuccessorHash []byte
	// SealedSuccessor is the successor token sealed (AEAD) under a key
	// derived from this token, so that a retry within the grace window can
	// be answered with the same successor while a reader of the database,
	// who does not know this token, cannot open it. It is dropped once the
	// grace window has passed.
	SealedSuccessor []byte
}

// Rotation asks a store to replace a live refresh token by its successor.
type Rotation struct {
	OldHash []byte
	// ClientID is the client presenting the token: the token is rotated
	// only if its session is bound to that client.
	ClientID string
	// Next is the successor; Next.SessionID is filled in by the store.
	Next RefreshToken
	// SealedNext is the successor token sealed under a key derived from the
	// old token; it is kept on the old token's row for retries.
	SealedNext []byte
	Now        time.Time
	// Grace is the window after a rotation during which presenting the old
	// token again is a retry, not reuse.
	Grace time.Duration
	// IdleTTL slides the session's IdleExpiresAt to min(Now+IdleTTL, ExpiresAt).
	IdleTTL time.Duration
	// AccessExpiresAt is the exp of the access token the caller mints
	// after the rotation; the session's AccessExpiresAt becomes the later
	// of the two.
	AccessExpiresAt time.Time
	// UserAgent and IP of the request become the session's last ones.
	UserAgent, IP string
}

// RotationResult is what a successful RotateRefreshToken returns.
type RotationResult struct {
	// Session is the session the token belongs to, as it is after the call.
	Session *Session
	// User is the session's user as read in the same atomic operation
	// (enabled and in the session's epoch when the result is no error): its
	// scopes, name and custom claims are those the new access token carries.
	// Set when the token rotated and on a retry.
	User *User
	// Retry is true when the old token had already been rotated within the
	// grace window and its successor is still live: nothing was written, and
	// SealedSuccessor holds the successor to hand out again.
	Retry           bool
	SealedSuccessor []byte
}

// RefreshState is what a store reads about a presented refresh token that
// its conditional rotation did not rotate, to decide (DecideRotation) what
// the presentation is.
type RefreshState struct {
	Session *Session
	// User is the session's user; nil if it no longer exists.
	User *User
	// RotatedAt is zero while the token is live.
	RotatedAt time.Time
	// SuccessorLive: the token that replaced this one is the live token of
	// the session (this one is the most recently rotated).
	SuccessorLive   bool
	SealedSuccessor []byte
}

// RotationOutcome is what a presented refresh token that was not rotated is.
type RotationOutcome int

const (
	// OutcomeWrongClient: the token's session is bound to another client
	// than the one presenting it. Nothing to hand out, and not reuse: the
	// presenter may not use the token at all.
	OutcomeWrongClient RotationOutcome = iota + 1
	// OutcomeEnded: the session is revoked or expired, or its user is gone,
	// disabled or in another epoch. Nothing to hand out.
	OutcomeEnded
	// OutcomeLive: the token is live and the session valid, yet it was not
	// rotated: a concurrent change committed in between. Try again.
	OutcomeLive
	// OutcomeRetry: the token was rotated less than the grace window ago
	// and its successor is the live token: hand the same successor out again.
	OutcomeRetry
	// OutcomeReused: any other presentation of a retired token. Someone
	// other than its holder may have it: the session must be revoked.
	OutcomeReused
)

// DecideRotation is the rule that tells a retry from reuse, the same for
// every store: each calls it, around its own atomic statement, on the
// state it read after its conditional rotation (of a token presented by
// client clientID) did not rotate. The statement rotates only what
// DecideRotation would call OutcomeLive.
func DecideRotation(st RefreshState, clientID string, now time.Time, grace time.Duration) RotationOutcome {
	switch {
	case st.Session.ClientID != clientID:
		return OutcomeWrongClient
	case !SessionValid(st.Session, st.User, now):
		return OutcomeEnded
	case st.RotatedAt.IsZero():
		return OutcomeLive
	case st.SuccessorLive && now.Sub(st.RotatedAt) < grace:
		return OutcomeRetry
	default:
		return OutcomeReused
	}
}
