package gatehouse

import "time"

// Event kinds recorded in the audit log.
const (
	EventLoginOK         = "login.ok"
	EventLoginFailed     = "login.failed"
	EventRefreshReuse    = "refresh.reuse"
	EventSessionRevoked  = "session.revoked"
	EventTokenRevoked    = "token.revoked"
	EventPasswordChanged = "password.changed"
	EventUserDisabled    = "user.disabled"
	EventAdmin           = "admin"
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
// session sid revoked at Time. Verifiers may forget it after ForgetAt, when
// every token it could match has expired.
type Revocation struct {
	Cursor   int64
	Kind     string // "jti" or "sid"
	Value    string
	Time     time.Time
	ForgetAt time.Time
}

// Revocation kinds.
const (
	RevokeJTI = "jti"
	RevokeSID = "sid"
)
