package gatehouse

import "time"

// Event kinds recorded in the audit log.
const (
	EventLoginOK         = "login.ok"
	EventLoginFailed     = "login.failed"
	EventRefreshReuse    = "refresh.reuse"
	EventRefreshRetry    = "refresh.retry"
	EventSessionRevoked  = "session.revoked"
	EventTokenRevoked    = "token.revoked"
	EventPasswordChanged = "password.changed"
	EventUserDisabled    = "user.disabled"
	EventAdmin           = "admin"
	EventKeyRotated      = "key.rotated"
	EventKeyRevoked      = "key.revoked"
	EventKeyPolicy       = "key.policy"
	EventKeyRewrapped    = "key.rewrapped"
)

// Event is one audit record. It never carries a password or a token: only
// ids (user, session, jti) and a free-form detail written by the server.
type Event struct {
	ID        int64
	Time      time.Time
	Kind      string
	UserID    string
	SessionID string
	ClientID  string
	IP        string
	Detail    string
}

// Revocation is an entry of the revocation feed: an access-token jti or a
// session sid revoked at Time; (kind "user") every token whose sub is
// Value issued before Time: a user's (Value is its id, Time its security
// epoch, User.Epoch), or a client's own (Value is the client_id, Time its
// Client.Epoch); or (kind "kid") the signing key Value, revoked at Time:
// verifiers drop it from their key set and refuse every token it signed.
// Verifiers may forget an entry after ForgetAt, when every token it could
// match has expired.
type Revocation struct {
	Cursor   int64
	Kind     string // RevokeJTI, RevokeSID, RevokeUser or RevokeKID
	Value    string
	Time     time.Time
	ForgetAt time.Time
}

// Revocation kinds.
const (
	RevokeJTI  = "jti"
	RevokeSID  = "sid"
	RevokeUser = "user"
	// RevokeKID: the signing key Value was revoked (compromised): drop it
	// from the key set and refuse every token it signed. ForgetAt is the
	// latest exp recorded for it (SigningKey.SignedUntil) plus
	// RevocationMargin, and never before every JWKS cached with the key in
	// it has expired (KeyPolicy.KIDForgetAt).
	RevokeKID = "kid"
)

// RevocationMargin is added to the latest exp of the tokens an entry can
// match to make its ForgetAt: the longest clock leeway a verifier may allow
// (a minute), and a second.
const RevocationMargin = time.Minute + time.Second

// ForgetAt is when a revocation stops mattering: when the latest access
// token it can match (accessExpiresAt) has expired, with RevocationMargin,
// and never before at.
func ForgetAt(at, accessExpiresAt time.Time) time.Time {
	f := accessExpiresAt.Add(RevocationMargin)
	if f.Before(at) {
		return at
	}
	return f
}
