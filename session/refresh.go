package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Refresh is a refresh_token grant.
type Refresh struct {
	Token string
	// Client is the client refreshing (authenticated by the caller); nil
	// is the built-in first-party client. The token must be bound to it.
	Client *gatehouse.Client
	// Scopes requested; nil or empty means every scope granted at login
	// (that the client still allows). A refresh may narrow the scope,
	// never widen it (RFC 6749 §6).
	Scopes    []string
	UserAgent string
	IP        string
}

// Refresh rotates a refresh token and mints a new access token.
//
// The token's form is checked first. A refresh that asks for a narrower
// scope reads the token's session to check the scope before anything is
// written; otherwise (the common case) the rotation is the only store
// call, one round trip on PostgreSQL. The rotation is one atomic store
// operation, which checks that the session is bound to the client
// presenting the token (another client's token is refused, and is not
// reuse), that the session's user is enabled and in the session's epoch,
// and reads the session and the user whose custom claims (and name) the
// new access token carries, as they are now. Its outcomes:
//   - the token was live: a new refresh token replaces it;
//   - it was rotated within the grace window and its successor is live (a
//     lost response, two tabs at once): the same successor is handed out
//     again, with a new access token, and a refresh.retry event records
//     both requests' addresses and user agents;
//   - it was rotated otherwise, or it is a retired token whose row is gone
//     but whose family is a live session's (reuse: a copy is in other
//     hands): the whole session is revoked, an audit event is recorded,
//     ErrInvalidGrant.
//
// Errors: ErrInvalidGrant, ErrInvalidScope, or a wrapped store error.
func (m *Manager) Refresh(ctx context.Context, r Refresh) (*Grant, error) {
	g, outcome, err := m.refresh(ctx, r)
	m.metrics.refreshes.WithLabelValues(outcome).Inc()
	return g, err
}

// refresh is Refresh, also returning its outcome for the metrics.
func (m *Manager) refresh(ctx context.Context, r Refresh) (*Grant, string, error) {
	pt, ok := parseRefreshToken(r.Token)
	if !ok {
		return nil, RefreshInvalid, ErrInvalidGrant
	}
	clientID := gatehouse.FirstPartyClientID
	var allowed []string
	if r.Client != nil {
		clientID, allowed = r.Client.ID, r.Client.Scopes
	}
	hash := hashToken(r.Token)
	if len(r.Scopes) > 0 {
		// A narrower scope is checked before the rotation writes anything.
		s, err := m.store.SessionByRefreshHash(ctx, hash)
		if errors.Is(err, gatehouse.ErrNotFound) {
			outcome, err := m.unknownToken(ctx, pt, r)
			return nil, outcome, err
		}
		if err != nil {
			return nil, RefreshError, fmt.Errorf("refresh: %w", err)
		}
		if s.ClientID != clientID {
			return nil, RefreshInvalid, fmt.Errorf("%w: token bound to another client", ErrInvalidGrant)
		}
		if !gatehouse.ScopeSubset(r.Scopes, gatehouse.BoundByClient(s.Scopes, allowed)) {
			return nil, RefreshInvalid, ErrInvalidScope
		}
	}

	now := m.now().UTC().Truncate(time.Microsecond)
	// The session's end is not known before the rotation: the rotation
	// records the client's full lifetime (a later AccessExpiresAt than the
	// token's when the session ends first only keeps revocations longer),
	// and the token's exp is capped at the session's end once it is read.
	exp := now.Add(m.accessTTL(r.Client)).Truncate(time.Second).UTC()
	next, nextHash := newRefreshToken(pt.family)
	if pt.family == nil {
		// A token from before families: its successors stay without one, so
		// that the session's retired rows, its only record of them, are kept.
		next, nextHash = newLegacyRefreshToken()
	}
	sealed, err := seal(pt.payload, hash, next)
	if err != nil {
		return nil, RefreshError, fmt.Errorf("refresh: %w", err)
	}
	res, err := m.store.RotateRefreshToken(ctx, &gatehouse.Rotation{
		OldHash:         hash,
		ClientID:        clientID,
		Next:            gatehouse.RefreshToken{Hash: nextHash, CreatedAt: now},
		SealedNext:      sealed,
		Now:             now,
		Grace:           m.cfg.Grace,
		IdleTTL:         m.cfg.IdleTTL,
		AccessExpiresAt: exp,
		UserAgent:       truncate(r.UserAgent, 256),
		IP:              truncate(r.IP, 64),
	})
	switch {
	case errors.Is(err, gatehouse.ErrTokenReused):
		m.reuse(ctx, res.Session, r, now, "retired refresh token presented outside the grace window")
		return nil, RefreshReuse, fmt.Errorf("%w: refresh token reused", ErrInvalidGrant)
	case errors.Is(err, gatehouse.ErrWrongClient):
		return nil, RefreshInvalid, fmt.Errorf("%w: token bound to another client", ErrInvalidGrant)
	case errors.Is(err, gatehouse.ErrNotFound):
		outcome, err := m.unknownToken(ctx, pt, r)
		return nil, outcome, err
	case errors.Is(err, gatehouse.ErrSessionEnded):
		return nil, RefreshEnded, fmt.Errorf("%w: session ended", ErrInvalidGrant)
	case err != nil:
		return nil, RefreshError, fmt.Errorf("refresh: %w", err)
	}
	exp = m.accessExpiry(res.Session, r.Client, now)
	scopes := gatehouse.BoundByClient(res.Session.Scopes, allowed)
	if len(r.Scopes) > 0 {
		scopes = r.Scopes
	}
	outcome := RefreshRotated
	if res.Retry {
		outcome = RefreshRetry
		if next, err = unseal(pt.payload, hash, res.SealedSuccessor); err != nil {
			// Fail closed: without the successor there is nothing to hand out.
			return nil, RefreshError, fmt.Errorf("%w: %v", ErrInvalidGrant, err)
		}
		// The access token of a retry expires no later than the one
		// recorded at the rotation, so revocations of the session cover it.
		if res.Session.AccessExpiresAt.Before(exp) {
			exp = res.Session.AccessExpiresAt
		}
		m.retry(ctx, res.Session, r)
	}
	g, err := m.mint(ctx, res.Session, res.User, r.Client, scopes, now, exp)
	if err != nil {
		return nil, RefreshError, err
	}
	g.RefreshToken = next
	return g, outcome, nil
}

// unknownToken answers a well-formed refresh token that the store does not
// hold: a retired token whose row is gone is recognised by its family, and
// presenting it is reuse (outcome RefreshReuse while the session is
// active, RefreshEnded once it is not).
func (m *Manager) unknownToken(ctx context.Context, pt parsedToken, r Refresh) (outcome string, err error) {
	if pt.family == nil {
		return RefreshInvalid, ErrInvalidGrant
	}
	s, err := m.store.SessionByFamily(ctx, familyHash(pt.family))
	if errors.Is(err, gatehouse.ErrNotFound) {
		return RefreshInvalid, ErrInvalidGrant
	}
	if err != nil {
		return RefreshError, fmt.Errorf("refresh: %w", err)
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	outcome = RefreshEnded
	if s.Active(now) {
		m.reuse(ctx, s, r, now, "an older retired refresh token of the session was presented")
		outcome = RefreshReuse
	}
	return outcome, fmt.Errorf("%w: refresh token reused", ErrInvalidGrant)
}

// reuse ends a session whose retired refresh token came back: someone
// other than its holder may have it.
func (m *Manager) reuse(ctx context.Context, s *gatehouse.Session, r Refresh, now time.Time, why string) {
	err := m.store.RevokeSession(ctx, s.ID, "refresh token reused", now)
	switch {
	case err == nil:
		m.metrics.revocations.Inc(CauseReuse)
	case !errors.Is(err, gatehouse.ErrNotFound):
		m.log.ErrorContext(ctx, "revoke session after refresh token reuse", "sid", s.ID, "err", err)
	}
	m.log.WarnContext(ctx, "refresh token reused: session revoked", "sid", s.ID, "user_id", s.UserID, "client_id", s.ClientID, "ip", r.IP)
	m.audit.Record(ctx, &gatehouse.Event{
		Kind:      gatehouse.EventRefreshReuse,
		UserID:    s.UserID,
		SessionID: s.ID,
		ClientID:  s.ClientID,
		IP:        r.IP,
		Detail:    why + "; session revoked",
	})
}

// retry records a retry within the grace window: the same successor went
// to the request that rotated and to this one, which may come from
// somewhere else.
func (m *Manager) retry(ctx context.Context, s *gatehouse.Session, r Refresh) {
	m.audit.Record(ctx, &gatehouse.Event{
		Kind:      gatehouse.EventRefreshRetry,
		UserID:    s.UserID,
		SessionID: s.ID,
		ClientID:  s.ClientID,
		IP:        r.IP,
		Detail: "retry within the grace window of the rotation from IP " + strconv.Quote(s.LastIP) +
			" (user agent " + strconv.Quote(s.LastUserAgent) + ") by IP " + strconv.Quote(r.IP) +
			" (user agent " + strconv.Quote(truncate(r.UserAgent, 256)) + ")",
	})
}
