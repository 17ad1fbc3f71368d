package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/token"
)

// Config configures a Manager. A zero duration takes the default written
// beside it (the defaults of `gatehouse serve`, docs/configuration.md); a
// negative one is an error, never replaced, and so is a Grace above
// MaxGrace or the AccessTTL, or an IdleTTL above the MaxAge.
type Config struct {
	Store    gatehouse.Store
	Keyring  *Keyring
	Issuer   string
	Audience string // default: Issuer

	AccessTTL time.Duration // default 15m
	IdleTTL   time.Duration // default 336h
	MaxAge    time.Duration // default 2160h
	Grace     time.Duration // default 10s; a retry window, at most MaxGrace
	Leeway    time.Duration // clock skew accepted when verifying; default 30s

	// PreferredUsername puts the user's name in access tokens as
	// preferred_username (off by default: a token then names no one, and
	// an API that needs the name asks /userinfo).
	PreferredUsername bool

	// Retention is how long housekeeping keeps what has ended (Purge).
	Retention Retention

	Now    func() time.Time
	Logger *slog.Logger
	// Audit records the security events of sessions; default a recorder
	// on Store and Logger.
	Audit *audit.Recorder
}

// MaxGrace is the longest Config.Grace: a retry window, not a second
// lifetime for a stolen refresh token.
const MaxGrace = time.Minute

// durations fills in the zero durations of cfg with their defaults and
// checks them; a negative or inconsistent one is an error naming it.
func (cfg *Config) durations() error {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"AccessTTL", &cfg.AccessTTL, 15 * time.Minute},
		{"IdleTTL", &cfg.IdleTTL, 336 * time.Hour},
		{"MaxAge", &cfg.MaxAge, 2160 * time.Hour},
		{"Grace", &cfg.Grace, 10 * time.Second},
		{"Leeway", &cfg.Leeway, 30 * time.Second},
	} {
		switch {
		case *d.v < 0:
			return fmt.Errorf("session: %s %v is negative", d.name, *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	switch {
	case cfg.Grace > MaxGrace:
		return fmt.Errorf("session: reuse grace %v is longer than %v", cfg.Grace, MaxGrace)
	case cfg.Grace > cfg.AccessTTL:
		return fmt.Errorf("session: reuse grace %v is longer than AccessTTL %v", cfg.Grace, cfg.AccessTTL)
	case cfg.IdleTTL > cfg.MaxAge:
		return fmt.Errorf("session: IdleTTL %v is longer than MaxAge %v", cfg.IdleTTL, cfg.MaxAge)
	}
	return nil
}

// Manager runs sessions: login, refresh, revocation, and the checks the
// server's own endpoints make on access tokens. It is safe for concurrent
// use; all state lives in the store, so several processes sharing one
// store behave as one.
type Manager struct {
	cfg      Config
	store    gatehouse.Store
	keys     *Keyring
	verifier *token.Verifier
	verified *verifiedTokens // verifier's results, by token (verified.go)
	now      func() time.Time
	log      *slog.Logger
	audit    *audit.Recorder
	metrics  *managerMetrics
}

// New returns a Manager.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil || cfg.Keyring == nil {
		return nil, errors.New("session: Store and Keyring are required")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("session: Issuer is required")
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.Issuer
	}
	if err := cfg.durations(); err != nil {
		return nil, err
	}
	if cfg.Retention.EndedSessions <= 0 {
		cfg.Retention.EndedSessions = DefaultRetention.EndedSessions
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.New(cfg.Store, cfg.Logger, cfg.Now)
	}
	v, err := cfg.Keyring.Verifier(token.Options{
		Issuer:   cfg.Issuer,
		Audience: cfg.Audience,
		Leeway:   cfg.Leeway,
		Now:      cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return &Manager{cfg: cfg, store: cfg.Store, keys: cfg.Keyring, verifier: v, verified: newVerifiedTokens(verifiedTokensBudget), now: cfg.Now, log: cfg.Logger, audit: cfg.Audit,
		metrics: newManagerMetrics()}, nil
}

// AccessTTL is the lifetime of the access tokens the manager mints.
func (m *Manager) AccessTTL() time.Duration { return m.cfg.AccessTTL }

// Grant is what a login or a refresh hands to the client (and a client's
// own token: no refresh token, no session).
type Grant struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	Scopes       []string
	Session      *gatehouse.Session
	Claims       *gatehouse.Claims // of the access token
}

// accessTTL is the lifetime of the access tokens of client cl (nil: the
// first-party client): the client's own if it is set and shorter, else
// the server's. Never longer: retired signing keys stay published for the
// server's lifetime only.
func (m *Manager) accessTTL(cl *gatehouse.Client) time.Duration {
	if cl != nil && cl.AccessTTL > 0 && cl.AccessTTL < m.cfg.AccessTTL {
		return cl.AccessTTL
	}
	return m.cfg.AccessTTL
}

// accessExpiry is the exp of an access token of session s of client cl
// minted at now: the client's lifetime later, never past the end of the
// session, in whole seconds (as the token carries it).
func (m *Manager) accessExpiry(s *gatehouse.Session, cl *gatehouse.Client, now time.Time) time.Time {
	exp := now.Add(m.accessTTL(cl))
	if s.ExpiresAt.Before(exp) {
		exp = s.ExpiresAt
	}
	return exp.Truncate(time.Second).UTC()
}

// audience is the aud of the tokens of client cl: its own audiences, then
// the server's, which Gatehouse's own endpoints require.
func (m *Manager) audience(cl *gatehouse.Client) []string {
	aud := []string{m.cfg.Audience}
	if cl == nil || len(cl.Audience) == 0 {
		return aud
	}
	out := make([]string, 0, len(cl.Audience)+1)
	for _, a := range cl.Audience {
		if a != m.cfg.Audience && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return append(out, m.cfg.Audience)
}

// mint signs an access token for session s of user u through client cl
// with the given scopes, issued at now and expiring at exp (accessExpiry,
// recorded in the store first; the keyring records it for its key too).
// It carries the user's custom claims, and the user's name when the server
// is configured so.
func (m *Manager) mint(ctx context.Context, s *gatehouse.Session, u *gatehouse.User, cl *gatehouse.Client, scopes []string, now, exp time.Time) (*Grant, error) {
	if u == nil || u.ID != s.UserID {
		return nil, errors.New("session: mint: the session's user is missing")
	}
	c := &gatehouse.Claims{
		Issuer:    m.cfg.Issuer,
		Subject:   s.UserID,
		Audience:  m.audience(cl),
		ExpiresAt: exp,
		IssuedAt:  now.Truncate(time.Second),
		ID:        gatehouse.NewID(),
		ClientID:  s.ClientID,
		SessionID: s.ID,
		Scopes:    scopes,
		AuthTime:  s.AuthTime.Truncate(time.Second),
		Extra:     u.Claims,
	}
	if m.cfg.PreferredUsername {
		c.Username = u.Username
	}
	tok, err := m.keys.Sign(ctx, c)
	if err != nil && len(c.Extra) > 0 {
		// Stored claims are checked when they are set; if a later version
		// reserves one of their names, the user still logs in, with fewer
		// claims rather than more.
		m.log.ErrorContext(ctx, "custom claims of the user not signable; token minted without them", "user_id", u.ID, "err", err)
		c.Extra = nil
		tok, err = m.keys.Sign(ctx, c)
	}
	if err != nil {
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	return &Grant{
		AccessToken: tok,
		ExpiresIn:   c.ExpiresAt.Sub(c.IssuedAt),
		Scopes:      scopes,
		Session:     s,
		Claims:      c,
	}, nil
}
