package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Login is a password login that the caller has already checked.
type Login struct {
	// User is the user as it was read when the password was checked: the
	// session is created only if the user is still enabled and in the same
	// security epoch (Epoch).
	User *gatehouse.User
	// Client is the client the user logs in through (authenticated by
	// the caller); nil is the built-in first-party client. Its scopes
	// bound the session's, its audience and lifetime the access tokens'.
	Client *gatehouse.Client
	// Scopes requested; nil or empty means the default scope: every scope
	// of the user that the client allows, except gatehouse:admin
	// (gatehouse.GrantScopes).
	Scopes    []string
	UserAgent string
	IP        string
}

// ErrUserChanged: the user changed (disabled, deleted, or its security
// epoch moved) between the password check and the creation of the session;
// nothing was created. The caller reads the user again and decides again.
var ErrUserChanged = errors.New("session: user changed since it was read")

// Login starts a session and returns its first tokens. Errors:
// ErrInvalidScope if the requested scope is not a subset of the user's
// scopes that the client allows;
// ErrInvalidGrant if the user is disabled; ErrUserChanged (the session is
// created atomically with the check that the user is still as read).
func (m *Manager) Login(ctx context.Context, l Login) (*Grant, error) {
	u := l.User
	if u == nil || u.Disabled {
		return nil, ErrInvalidGrant
	}
	clientID := gatehouse.FirstPartyClientID
	var allowed []string
	if l.Client != nil {
		clientID, allowed = l.Client.ID, l.Client.Scopes
	}
	scopes, err := gatehouse.GrantScopes(l.Scopes, gatehouse.BoundByClient(u.Scopes, allowed))
	if err != nil {
		return nil, ErrInvalidScope
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	family := newFamily()
	s := &gatehouse.Session{
		ID:            gatehouse.NewID(),
		UserID:        u.ID,
		ClientID:      clientID,
		Scopes:        scopes,
		AuthTime:      now,
		CreatedAt:     now,
		LastUsedAt:    now,
		IdleExpiresAt: now.Add(min(m.cfg.IdleTTL, m.cfg.MaxAge)),
		ExpiresAt:     now.Add(m.cfg.MaxAge),
		UserAgent:     truncate(l.UserAgent, 256),
		IP:            truncate(l.IP, 64),
		Epoch:         u.Epoch,
		FamilyHash:    familyHash(family),
	}
	s.AccessExpiresAt = m.accessExpiry(s, l.Client, now)
	tok, hash := newRefreshToken(family)
	first := &gatehouse.RefreshToken{Hash: hash, SessionID: s.ID, CreatedAt: now}
	if err := m.store.CreateSession(ctx, s, first); err != nil {
		if errors.Is(err, gatehouse.ErrStale) {
			return nil, ErrUserChanged
		}
		return nil, fmt.Errorf("create session: %w", err)
	}
	g, err := m.mint(ctx, s, u, l.Client, scopes, now, s.AccessExpiresAt)
	if err != nil {
		return nil, err
	}
	g.RefreshToken = tok
	return g, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
