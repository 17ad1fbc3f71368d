package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// Config configures a Manager. Zero durations take the defaults of
// design.md §2.
type Config struct {
	Store    gatehouse.Store
	Keyring  *Keyring
	Issuer   string
	Audience string // default: Issuer

	AccessTTL time.Duration // default 15m
	IdleTTL   time.Duration // default 336h
	MaxAge    time.Duration // default 2160h
	Grace     time.Duration // default 10s; a retry window, never more than a minute
	Leeway    time.Duration // clock skew accepted when verifying; default 30s

	Now    func() time.Time
	Logger *slog.Logger
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
	now      func() time.Time
	log      *slog.Logger
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
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.AccessTTL, 15*time.Minute)
	def(&cfg.IdleTTL, 336*time.Hour)
	def(&cfg.MaxAge, 2160*time.Hour)
	def(&cfg.Grace, 10*time.Second)
	def(&cfg.Leeway, 30*time.Second)
	if cfg.Grace > time.Minute {
		return nil, fmt.Errorf("session: reuse grace %v is longer than a minute", cfg.Grace)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
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
	return &Manager{cfg: cfg, store: cfg.Store, keys: cfg.Keyring, verifier: v, now: cfg.Now, log: cfg.Logger}, nil
}

// AccessTTL is the lifetime of the access tokens the manager mints.
func (m *Manager) AccessTTL() time.Duration { return m.cfg.AccessTTL }

// Grant is what a login or a refresh hands to the client.
type Grant struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	Scopes       []string
	Session      *gatehouse.Session
	Claims       *gatehouse.Claims // of the access token
}

// mint signs an access token for session s with the given scopes. Its
// expiry never outlives the session.
func (m *Manager) mint(s *gatehouse.Session, scopes []string, now time.Time) (*Grant, error) {
	exp := now.Add(m.cfg.AccessTTL)
	if s.ExpiresAt.Before(exp) {
		exp = s.ExpiresAt
	}
	c := &gatehouse.Claims{
		Issuer:    m.cfg.Issuer,
		Subject:   s.UserID,
		Audience:  []string{m.cfg.Audience},
		ExpiresAt: exp.Truncate(time.Second),
		IssuedAt:  now.Truncate(time.Second),
		ID:        newID(),
		ClientID:  s.ClientID,
		SessionID: s.ID,
		Scopes:    scopes,
		AuthTime:  s.AuthTime.Truncate(time.Second),
	}
	tok, err := m.keys.Signer().Sign(c)
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

// event records an audit event in the store and in the structured log, in
// the shape httpapi uses ("audit" with kind, ids and detail; never a token).
func (m *Manager) event(ctx context.Context, e *gatehouse.Event) {
	e.Time = m.now().UTC()
	m.log.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("kind", e.Kind), slog.String("user_id", e.UserID),
		slog.String("session_id", e.SessionID), slog.String("client_id", e.ClientID), slog.String("ip", e.IP),
		slog.String("detail", e.Detail))
	if err := m.store.RecordEvent(ctx, e); err != nil {
		m.log.Error("record audit event", "kind", e.Kind, "err", err)
	}
}
