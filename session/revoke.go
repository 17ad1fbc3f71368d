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

// Authenticate verifies a user's access token for the server's own
// endpoints and decides from durable state whether it may still be
// honoured: its session must exist and be active, its user exist, be
// enabled and still be in the epoch the session was created under
// (gatehouse.SessionValid), and neither its jti nor the key that signed it
// may be revoked (a revoked key is refused here at once, before this
// process reloads its keys). So logout, revocation, a password change,
// disabling, a scope taken away and deletion take effect at once, on every
// process sharing the store, and are never forgotten on anyone's clock.
// The claims returned grant only the scopes the user still has. A client's
// own token (client_credentials) speaks for no user, and is refused.
//
// Errors: ErrInvalidToken (wrapping the cause), or a wrapped store error
// (the token could not be checked).
func (m *Manager) Authenticate(ctx context.Context, accessToken string) (*gatehouse.Claims, error) {
	c, _, err := m.AuthenticateUser(ctx, accessToken)
	return c, err
}

// AuthenticateUser is Authenticate that also returns the token's user as
// it was read for the decision, for endpoints that answer with it.
func (m *Manager) AuthenticateUser(ctx context.Context, accessToken string) (*gatehouse.Claims, *gatehouse.User, error) {
	t, err := m.Check(ctx, accessToken)
	if err != nil {
		return nil, nil, err
	}
	if t.User == nil {
		return nil, nil, fmt.Errorf("%w: a client's own token speaks for no user", ErrInvalidToken)
	}
	return t.Claims, t.User, nil
}

// Token is an access token that Gatehouse still honours, and what it was
// judged on.
type Token struct {
	// Claims are the token's, with only the scopes its user still has.
	Claims *gatehouse.Claims
	// User is the user a user's token speaks for; nil for a client's own.
	User *gatehouse.User
	// Client is the client of a client's own token (sub = client_id, no
	// session); nil for a user's.
	Client *gatehouse.Client
}

// Check verifies any access token Gatehouse issues, for introspection: a
// user's token as Authenticate judges it, and a client's own token
// (client_credentials) only while its client exists, is confidential and
// has not revoked its tokens since (gatehouse.ClientTokenValid: a secret
// rotation or deletion revokes them), and its jti is not revoked. Errors
// are Authenticate's.
func (m *Manager) Check(ctx context.Context, accessToken string) (*Token, error) {
	c, err := m.verified.verify(m.verifier, accessToken, m.now())
	if errors.Is(err, token.ErrUnknownKey) && m.keys.reloadSoon(ctx) {
		// Another process may have rotated the keys since the last reload.
		c, err = m.verified.verify(m.verifier, accessToken, m.now())
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if c.SessionID == "" {
		return m.checkClientToken(ctx, c)
	}
	st, err := m.store.TokenState(ctx, c.SessionID, c.ID, c.KeyID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, fmt.Errorf("%w: no such session", ErrInvalidToken)
	}
	if err != nil {
		return nil, fmt.Errorf("check token state: %w", err)
	}
	switch {
	case st.JTIRevoked:
		return nil, fmt.Errorf("%w: revoked", ErrInvalidToken)
	case st.KIDRevoked:
		return nil, fmt.Errorf("%w: signed by a revoked key", ErrInvalidToken)
	case st.Session.UserID != c.Subject || st.Session.ClientID != c.ClientID || !gatehouse.SessionValid(st.Session, st.User, m.now()):
		return nil, fmt.Errorf("%w: session ended", ErrInvalidToken)
	}
	out := *c
	out.Scopes = gatehouse.IntersectScopes(c.Scopes, st.User.Scopes)
	return &Token{Claims: &out, User: st.User}, nil
}

// checkClientToken judges a verified token without a session: a client's
// own token, or nothing Gatehouse honours.
func (m *Manager) checkClientToken(ctx context.Context, c *gatehouse.Claims) (*Token, error) {
	if c.Subject != c.ClientID {
		return nil, fmt.Errorf("%w: no session", ErrInvalidToken)
	}
	cl, err := m.store.ClientByID(ctx, c.ClientID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, fmt.Errorf("%w: no such client", ErrInvalidToken)
	}
	if err != nil {
		return nil, fmt.Errorf("check client token: %w", err)
	}
	revoked, err := m.store.IsRevoked(ctx, c.ID, "")
	if err != nil {
		return nil, fmt.Errorf("check client token: %w", err)
	}
	if revoked || !gatehouse.ClientTokenValid(cl, c) {
		return nil, fmt.Errorf("%w: revoked", ErrInvalidToken)
	}
	out := *c
	out.Scopes = gatehouse.IntersectScopes(c.Scopes, cl.Scopes)
	return &Token{Claims: &out, Client: cl}, nil
}

// RevokeToken is RFC 7009 revocation. A refresh token ends its whole
// session (a retired one too, recognised by its family); an access token is
// denied until it expires. An unknown, malformed or expired token is not an
// error (RFC 7009 §2.2), and neither is a token of another client, which is
// left alone. hint is advisory.
func (m *Manager) RevokeToken(ctx context.Context, tok, hint, clientID string) error {
	if clientID == "" {
		clientID = gatehouse.FirstPartyClientID
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	if strings.HasPrefix(tok, refreshPrefix) {
		pt, ok := parseRefreshToken(tok)
		if !ok {
			return nil
		}
		s, err := m.store.SessionByRefreshHash(ctx, hashToken(tok))
		if errors.Is(err, gatehouse.ErrNotFound) && pt.family != nil {
			s, err = m.store.SessionByFamily(ctx, familyHash(pt.family))
		}
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		if s.ClientID != clientID || !s.RevokedAt.IsZero() {
			return nil
		}
		return m.endSession(ctx, s, revokedReason, now)
	}
	c, err := m.verified.verify(m.verifier, tok, m.now())
	if err != nil || c.ClientID != clientID {
		return nil
	}
	return m.RevokeAccessToken(ctx, c)
}

// RevokeAccessToken denies the verified access token c until it expires.
func (m *Manager) RevokeAccessToken(ctx context.Context, c *gatehouse.Claims) error {
	now := m.now().UTC().Truncate(time.Microsecond)
	if err := m.store.RevokeAccessToken(ctx, c.ID, now, gatehouse.ForgetAt(now, c.ExpiresAt)); err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	m.metrics.revocations.Inc(CauseRevoke)
	m.audit.Record(ctx, &gatehouse.Event{
		Kind: gatehouse.EventTokenRevoked, UserID: c.Subject, SessionID: c.SessionID, ClientID: c.ClientID,
		Detail: "access token jti " + c.ID + " revoked",
	})
	return nil
}

func (m *Manager) endSession(ctx context.Context, s *gatehouse.Session, reason string, now time.Time) error {
	if err := m.store.RevokeSession(ctx, s.ID, reason, now); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	m.metrics.revocations.Inc(causeOf(reason))
	m.audit.Record(ctx, &gatehouse.Event{
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

// EndOtherSessions ends every session of the user that is active now
// except keep ("log out my other devices"): each is revoked, with its
// access tokens, as EndSession does. Sessions that start after it has
// listed them (a login in flight) are not ended; a password change is what
// ends everything (account.Service). It returns how many it ended.
func (m *Manager) EndOtherSessions(ctx context.Context, userID, keep, reason string) (int, error) {
	ss, err := m.store.ListSessions(ctx, userID, m.now())
	if err != nil {
		return 0, fmt.Errorf("end other sessions: %w", err)
	}
	n := 0
	for _, s := range ss {
		if s.ID == keep || s.UserID != userID {
			continue
		}
		err := m.endSession(ctx, s, reason, m.now().UTC().Truncate(time.Microsecond))
		if errors.Is(err, gatehouse.ErrNotFound) {
			continue // purged meanwhile
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Sessions lists the user's active sessions, most recently used first.
func (m *Manager) Sessions(ctx context.Context, userID string) ([]*gatehouse.Session, error) {
	return m.store.ListSessions(ctx, userID, m.now())
}

// DropSealed forgets the sealed successors of tokens rotated more than the
// grace window ago: no retry can need them, and kept they would let a copy
// of the database and that retired token open the live one.
func (m *Manager) DropSealed(ctx context.Context) (int, error) {
	n, err := m.store.DropSealedSuccessors(ctx, m.now().Add(-m.cfg.Grace))
	if err != nil {
		return 0, fmt.Errorf("drop sealed successors: %w", err)
	}
	return n, nil
}
