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
	UserAgent string
	IP        string
	// RevokedAt is zero while the session is not revoked.
	RevokedAt    time.Time
	RevokeReason string
}

// Active reports whether the session can still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.IdleExpiresAt) && now.Before(s.ExpiresAt)
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
	// who does not know this token, cannot open it.
	SealedSuccessor []byte
}

// Rotation asks a store to replace a live refresh token by its successor.
type Rotation struct {
	OldHash []byte
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
}

// RotationResult is what a successful RotateRefreshToken returns.
type RotationResult struct {
	// Session is the session the token belongs to, as it is after the call.
	Session *Session
	// Retry is true when the old token had already been rotated within the
	// grace window and its successor is still live: nothing was written, and
	// SealedSuccessor holds the successor to hand out again.
	Retry           bool
	SealedSuccessor []byte
}
