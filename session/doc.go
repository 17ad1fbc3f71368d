// Package session is the refresh-token state machine of Gatehouse: it starts a
// session at login, rotates its one-time refresh tokens, tells a retry within the
// grace window from reuse (which revokes the whole session), ends sessions on
// logout, revocation, idle timeout and absolute lifetime, and mints the access
// tokens of a session with the signing keys kept in the store (Keyring).
//
// API (the exported names of this package):
//
//	package session // import "github.com/gatehouse/gatehouse/session" — the refresh-token state machine
//
//	// Keyring: the signing keys kept in the store, loaded into an active signer and a public key set.
//	func LoadKeyring(ctx context.Context, store gatehouse.KeyStore, cfg KeyringConfig) (*Keyring, error)
//	    // KeyringConfig{Algorithm token.Algorithm (default ES256); Retain time.Duration (how long retired keys stay
//	    //   published: the access-token TTL); Now func() time.Time}. Creates the active+next pair on an empty store.
//	func (k *Keyring) Signer() *token.Signer
//	func (k *Keyring) KeySet() *token.KeySet          // public keys: active, next, retired within Retain
//	func (k *Keyring) Reload(ctx context.Context) error  // picks up a rotation done by another process
//	func (k *Keyring) Rotate(ctx context.Context) error  // next→active, active→retired, new next; then Reload
//	func (k *Keyring) Run(ctx context.Context, every time.Duration) // reload loop until ctx ends
//	func (k *Keyring) Verifier(opts token.Options) (*token.Verifier, error) // kept in sync on Reload
//
//	type Config struct {
//	    Store     gatehouse.Store
//	    Keyring   *Keyring
//	    Issuer, Audience string
//	    AccessTTL, IdleTTL, MaxAge, Grace time.Duration // defaults 15m, 336h, 2160h, 10s
//	    Leeway    time.Duration
//	    Now       func() time.Time
//	    Logger    *slog.Logger
//	}
//	func New(cfg Config) (*Manager, error)
//
//	type Grant struct {
//	    AccessToken, RefreshToken string
//	    ExpiresIn time.Duration
//	    Scopes    []string
//	    Session   *gatehouse.Session
//	}
//	type Login struct { User *gatehouse.User; ClientID string; Scopes []string /* nil: all the user's */; UserAgent, IP string }
//	func (m *Manager) Login(ctx context.Context, l Login) (*Grant, error)
//	    // call after the password was checked; ErrInvalidScope if Scopes ⊄ user's; ErrInvalidGrant if the user is disabled
//	type Refresh struct { Token, ClientID string; Scopes []string /* nil: all granted at login */; UserAgent, IP string }
//	func (m *Manager) Refresh(ctx context.Context, r Refresh) (*Grant, error)
//	    // ErrInvalidGrant (unknown/ended/reused token, other client, disabled user), ErrInvalidScope (not ⊆ granted).
//	    // Reuse after the grace window revokes the session and records an audit event. A retry within the grace
//	    // window returns the same refresh token again with a new access token.
//	func (m *Manager) Authenticate(ctx context.Context, accessToken string) (*gatehouse.Claims, error)
//	    // verifies the token and refuses revoked jti/sid: ErrInvalidToken (wrapping the cause)
//	func (m *Manager) RevokeToken(ctx context.Context, tok, hint, clientID string) error
//	    // RFC 7009: a refresh token ends its session; an access token (JWT) is denied until it expires; unknown → nil.
//	    // A token of another client is not revoked (nil, no change).
//	func (m *Manager) EndSession(ctx context.Context, userID, sid, reason string) error  // ErrNotFound unless sid is the user's
//	func (m *Manager) EndUserSessions(ctx context.Context, userID, reason string) (int, error)
//	func (m *Manager) Sessions(ctx context.Context, userID string) ([]*gatehouse.Session, error)
//	func (m *Manager) Purge(ctx context.Context) (gatehouse.PurgeStats, error)
//	func (m *Manager) RunHousekeeping(ctx context.Context, every time.Duration)
//	var ErrInvalidGrant, ErrInvalidScope, ErrInvalidToken error
package session
