package session

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Login is a password login that the caller has already checked.
type Login struct {
	User     *gatehouse.User
	ClientID string
	// Scopes requested; nil means every scope the user has.
	Scopes    []string
	UserAgent string
	IP        string
}

// Login starts a session and returns its first tokens. ErrInvalidScope if
// the requested scope is not a subset of the user's; ErrInvalidGrant if the
// user is disabled.
func (m *Manager) Login(ctx context.Context, l Login) (*Grant, error) {
	u := l.User
	if u == nil || u.Disabled {
		return nil, ErrInvalidGrant
	}
	scopes := u.Scopes
	if l.Scopes != nil {
		if !gatehouse.ScopeSubset(l.Scopes, u.Scopes) {
			return nil, ErrInvalidScope
		}
		scopes = l.Scopes
	}
	clientID := l.ClientID
	if clientID == "" {
		clientID = gatehouse.FirstPartyClientID
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	s := &gatehouse.Session{
		ID:            newID(),
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
	}
	tok, hash := newRefreshToken()
	first := &gatehouse.RefreshToken{Hash: hash, SessionID: s.ID, CreatedAt: now}
	if err := m.store.CreateSession(ctx, s, first); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	g, err := m.mint(s, scopes, now)
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
