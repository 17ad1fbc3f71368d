package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// Authenticate verifies an access token for the server's own endpoints and
// refuses it when its jti or its session has been revoked, so logout and
// revocation take effect at once, on every process sharing the store.
// Errors: ErrInvalidToken (wrapping the cause), or a wrapped store error.
func (m *Manager) Authenticate(ctx context.Context, accessToken string) (*gatehouse.Claims, error) {
	c, err := m.verifier.Verify(accessToken)
	if errors.Is(err, token.ErrUnknownKey) && m.keys.reloadSoon(ctx) {
		// Another process may have rotated the keys since the last reload.
		c, err = m.verifier.Verify(accessToken)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	revoked, err := m.store.IsRevoked(ctx, c.ID, c.SessionID)
	if err != nil {
		return nil, fmt.Errorf("check revocation: %w", err)
	}
	if revoked {
		return nil, fmt.Errorf("%w: revoked", ErrInvalidToken)
	}
	return c, nil
}

// RevokeToken is RFC 7009 revocation. A refresh token ends its whole
// session; an access token is denied until it expires. An unknown,
// malformed or expired token is not an error (RFC 7009 §2.2), and neither
// is a token of another client, which is left alone. hint is advisory.
func (m *Manager) RevokeToken(ctx context.Context, tok, hint, clientID string) error {
	if clientID == "" {
		clientID = gatehouse.FirstPartyClientID
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	if strings.HasPrefix(tok, refreshPrefix) {
		if _, ok := parseRefreshToken(tok); !ok {
			return nil
		}
		s, err := m.store.SessionByRefreshHash(ctx, hashToken(tok))
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		if s.ClientID != clientID || !s.RevokedAt.IsZero() {
			return nil
		}
		return m.endSession(ctx, s, "refresh token revoked", now)
	}
	c, err := m.verifier.Verify(tok)
	if err != nil || c.ClientID != clientID {
		return nil
	}
	if err := m.store.RevokeAccessToken(ctx, c.ID, now, c.ExpiresAt.Add(m.cfg.Leeway+time.Second)); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	m.event(ctx, &gatehouse.Event{
		Kind: gatehouse.EventTokenRevoked, UserID: c.Subject, SessionID: c.SessionID, ClientID: c.ClientID,
		Detail: "access token jti " + c.ID + " revoked",
	})
	return nil
}

func (m *Manager) endSession(ctx context.Context, s *gatehouse.Session, reason string, now time.Time) error {
	if err := m.store.RevokeSession(ctx, s.ID, reason, now, m.forgetAt(now)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	m.event(ctx, &gatehouse.Event{
		Kind: gatehouse.EventSessionRevoked, UserID: s.UserID, SessionID: s.ID, ClientID: s.ClientID, Detail: reason,
	})
	return nil
}

// EndSession ends one session of the user. ErrNotFound (wrapped) when the
// session does not exist or belongs to someone else.
func (m *Manager) EndSession(ctx context.Context, userID, sid, reason string) error {
	s, err := m.store.Session(ctx, sid)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if s.UserID != userID {
		return fmt.Errorf("end session: %w", gatehouse.ErrNotFound)
	}
	return m.endSession(ctx, s, reason, m.now().UTC().Truncate(time.Microsecond))
}

// EndUserSessions ends every active session of the user (logout
// everywhere, password change, disabling) and returns how many it ended.
func (m *Manager) EndUserSessions(ctx context.Context, userID, reason string) (int, error) {
	now := m.now().UTC().Truncate(time.Microsecond)
	n, err := m.store.RevokeUserSessions(ctx, userID, reason, now, m.forgetAt(now))
	if err != nil {
		return 0, fmt.Errorf("end user sessions: %w", err)
	}
	m.event(ctx, &gatehouse.Event{
		Kind: gatehouse.EventSessionRevoked, UserID: userID, Detail: fmt.Sprintf("%s: %d sessions ended", reason, n),
	})
	return n, nil
}

// Sessions lists the user's active sessions, most recently used first.
func (m *Manager) Sessions(ctx context.Context, userID string) ([]*gatehouse.Session, error) {
	return m.store.ListSessions(ctx, userID, m.now())
}

// purgeKeep is how long ended sessions are kept before they are deleted,
// so /admin and audits can still see them for a while.
const purgeKeep = 24 * time.Hour

// Purge deletes sessions that ended more than a day ago and revocations
// that no longer match any live token.
func (m *Manager) Purge(ctx context.Context) (gatehouse.PurgeStats, error) {
	now := m.now()
	return m.store.Purge(ctx, now, now.Add(-purgeKeep))
}

// RunHousekeeping purges every interval until ctx ends.
func (m *Manager) RunHousekeeping(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st, err := m.Purge(ctx)
			if err != nil && ctx.Err() == nil {
				m.log.Error("housekeeping", "err", err)
				continue
			}
			if st.Sessions > 0 || st.Revocations > 0 {
				m.log.Info("housekeeping", "sessions_purged", st.Sessions, "revocations_purged", st.Revocations)
			}
		}
	}
}
