package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Refresh is a refresh_token grant.
type Refresh struct {
	Token    string
	ClientID string
	// Scopes requested; nil means every scope granted at login. A refresh
	// may narrow the scope, never widen it (RFC 6749 §6).
	Scopes    []string
	UserAgent string
	IP        string
}

// Refresh rotates a refresh token and mints a new access token.
//
// Everything that can refuse the request without touching state is
// checked before the rotation: the token's form, its session, the client
// it is bound to, the scope, the user. The rotation itself is one atomic
// store operation. Its outcomes:
//   - the token was live: a new refresh token replaces it;
//   - it was rotated within the grace window and its successor is live (a
//     lost response, two tabs at once): the same successor is handed out
//     again, with a new access token;
//   - it was rotated otherwise (reuse: a copy is in other hands): the whole
//     session is revoked, an audit event is recorded, ErrInvalidGrant.
//
// Errors: ErrInvalidGrant, ErrInvalidScope, or a wrapped store error.
func (m *Manager) Refresh(ctx context.Context, r Refresh) (*Grant, error) {
	secret, ok := parseRefreshToken(r.Token)
	if !ok {
		return nil, ErrInvalidGrant
	}
	clientID := r.ClientID
	if clientID == "" {
		clientID = gatehouse.FirstPartyClientID
	}
	hash := hashToken(r.Token)
	s, err := m.store.SessionByRefreshHash(ctx, hash)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	if s.ClientID != clientID {
		return nil, fmt.Errorf("%w: token bound to another client", ErrInvalidGrant)
	}
	scopes := s.Scopes
	if r.Scopes != nil {
		if !gatehouse.ScopeSubset(r.Scopes, s.Scopes) {
			return nil, ErrInvalidScope
		}
		scopes = r.Scopes
	}
	u, err := m.store.UserByID(ctx, s.UserID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	if u.Disabled {
		return nil, fmt.Errorf("%w: user disabled", ErrInvalidGrant)
	}
	// A scope taken from the user since login is not handed out again.
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return !slices.Contains(u.Scopes, sc) })

	now := m.now().UTC().Truncate(time.Microsecond)
	next, nextHash := newRefreshToken()
	sealed, err := seal(secret, hash, next)
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	res, err := m.store.RotateRefreshToken(ctx, &gatehouse.Rotation{
		OldHash:    hash,
		Next:       gatehouse.RefreshToken{Hash: nextHash, SessionID: s.ID, CreatedAt: now},
		SealedNext: sealed,
		Now:        now,
		Grace:      m.cfg.Grace,
		IdleTTL:    m.cfg.IdleTTL,
	})
	switch {
	case errors.Is(err, gatehouse.ErrTokenReused):
		m.reuse(ctx, s, r, now)
		return nil, fmt.Errorf("%w: refresh token reused", ErrInvalidGrant)
	case errors.Is(err, gatehouse.ErrSessionEnded), errors.Is(err, gatehouse.ErrNotFound):
		return nil, fmt.Errorf("%w: session ended", ErrInvalidGrant)
	case err != nil:
		return nil, fmt.Errorf("refresh: %w", err)
	}
	if res.Retry {
		if next, err = unseal(secret, hash, res.SealedSuccessor); err != nil {
			// Fail closed: without the successor there is nothing to hand out.
			return nil, fmt.Errorf("%w: %v", ErrInvalidGrant, err)
		}
	}
	g, err := m.mint(res.Session, scopes, now)
	if err != nil {
		return nil, err
	}
	g.RefreshToken = next
	return g, nil
}

// reuse ends a session whose retired refresh token came back: someone
// other than its holder may have it.
func (m *Manager) reuse(ctx context.Context, s *gatehouse.Session, r Refresh, now time.Time) {
	err := m.store.RevokeSession(ctx, s.ID, "refresh token reused", now, m.forgetAt(now))
	if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
		m.log.Error("revoke session after refresh token reuse", "sid", s.ID, "err", err)
	}
	m.log.Warn("refresh token reused: session revoked", "sid", s.ID, "user_id", s.UserID, "client_id", s.ClientID, "ip", r.IP)
	m.event(ctx, &gatehouse.Event{
		Kind:      gatehouse.EventRefreshReuse,
		UserID:    s.UserID,
		SessionID: s.ID,
		ClientID:  s.ClientID,
		IP:        r.IP,
		Detail:    "retired refresh token presented outside the grace window; session revoked",
	})
}

// forgetAt is when a revocation made at now no longer matters: every access
// token that it could match has expired.
func (m *Manager) forgetAt(now time.Time) time.Time {
	return now.Add(m.cfg.AccessTTL + m.cfg.Leeway + time.Second)
}
