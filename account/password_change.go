package account

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// PasswordChange is a user's change of their own password, asked from one
// of their sessions (the account page).
type PasswordChange struct {
	// UserID and SessionID are those of the access token that asks.
	UserID, SessionID string
	// Current is the password now: the change is a fresh login.
	Current string
	// New is the password to set, checked against the policy.
	New           string
	IP, UserAgent string
}

// ChangeOwnPassword sets a user's new password from one of their sessions
// and keeps only the device that asked signed in:
//
//   - the current password is checked by the login policy (throttle
//     reservation, one hash, a disabled user fails alike), so a session
//     alone (a device left unlocked, a stolen cookie) cannot change it;
//   - the new password is written only if the user is still the version
//     that was checked and the asking session is still valid; the write
//     moves the epoch, which ends every session and access token of the
//     user, the asking session's included;
//   - a new session is started for the device that asked, with the asking
//     session's client and scopes and auth_time now (its password was just
//     checked), created only if the user is still in the epoch the change
//     wrote.
//
// It returns the new session's grant and how many other sessions ended.
// Errors: ErrBadCredentials (a wrong current password), ErrSessionEnded
// (the asking session ended, or the user changed meanwhile: if that
// happened after the write, the password is changed and no session
// starts), *ThrottledError, password.ErrTooShort, ErrTooLong, ErrBusy,
// ErrContended.
func (s *Service) ChangeOwnPassword(ctx context.Context, pc PasswordChange) (*session.Grant, int, error) {
	if s.sessions == nil {
		return nil, 0, errors.New("account: ChangeOwnPassword needs a session manager")
	}
	if err := s.passwords.CheckPolicy(pc.New); err != nil {
		return nil, 0, err
	}
	u, sess, err := s.askingSession(ctx, pc.UserID, pc.SessionID)
	if err != nil {
		return nil, 0, err
	}
	c, err := s.checkPassword(ctx, u.Username, pc.Current, pc.IP, sess.ClientID,
		func() (*gatehouse.User, error) { return u, nil })
	if err != nil {
		return nil, 0, err
	}
	c.rehash = false // the hash is replaced anyway
	hash, err := s.passwords.Hash(ctx, pc.New)
	if err != nil {
		c.attempt.Cancel(c.end)
		return nil, 0, err
	}
	by := Actor{By: "the user", ClientID: sess.ClientID, IP: pc.IP}
	for range maxAttempts {
		now := s.clock()
		next := *u
		next.PasswordHash, next.PasswordChangedAt, next.UpdatedAt = hash, now, now
		next.Epoch = gatehouse.NextEpoch(now, u.Epoch)
		n, err := s.store.UpdateUser(ctx, &next, "password changed")
		if errors.Is(err, gatehouse.ErrStale) {
			// Decided again on the new state: the checked password is still
			// the user's as long as the epoch has not moved (every password
			// change moves it), which the session's validity tells.
			u, sess, err = s.askingSession(ctx, pc.UserID, pc.SessionID)
			if errors.Is(err, ErrSessionEnded) {
				// Like a login whose user changed under it: the password
				// checked may no longer be the user's.
				s.loginFailed(c.end, c.attempt, c.ev, "user changed during the password change")
				return nil, 0, ErrSessionEnded
			}
			if err != nil {
				c.attempt.Cancel(c.end)
				return nil, 0, err
			}
			continue
		}
		if errors.Is(err, gatehouse.ErrNotFound) {
			s.loginFailed(c.end, c.attempt, c.ev, "user deleted during the password change")
			return nil, 0, ErrSessionEnded
		}
		if err != nil {
			c.attempt.Cancel(c.end)
			return nil, 0, storeError(err)
		}
		s.metrics.revocations.Inc(CausePasswordChange)
		s.recordChanges(ctx, by, u, &next, Changes{Password: &pc.New}, n)
		// The new session is of the asking session's client (nil: the
		// first-party one), bounded by what that client allows now.
		var client *gatehouse.Client
		if sess.ClientID != gatehouse.FirstPartyClientID {
			client, err = s.store.ClientByID(ctx, sess.ClientID)
			if errors.Is(err, gatehouse.ErrNotFound) {
				c.attempt.Succeeded(c.end)
				return nil, 0, ErrSessionEnded
			}
			if err != nil {
				c.attempt.Succeeded(c.end)
				return nil, 0, storeError(err)
			}
		}
		g, err := s.sessions.Login(ctx, session.Login{
			User: &next, Client: client, Scopes: sess.Scopes, UserAgent: pc.UserAgent, IP: pc.IP,
		})
		if errors.Is(err, session.ErrUserChanged) || errors.Is(err, session.ErrInvalidScope) {
			// The user changed again after the write (disabled, another
			// password, every session ended): nothing may continue.
			c.attempt.Succeeded(c.end)
			return nil, 0, ErrSessionEnded
		}
		if err != nil {
			c.attempt.Succeeded(c.end)
			return nil, 0, err
		}
		s.loginSucceeded(ctx, c, g, pc.Current, "password, at a password change; every other session ended")
		return g, max(n-1, 0), nil
	}
	c.attempt.Succeeded(c.end)
	return nil, 0, ErrContended
}

// askingSession reads the user and the session that asks for a change and
// checks that the session is still valid (gatehouse.SessionValid):
// ErrSessionEnded otherwise.
func (s *Service) askingSession(ctx context.Context, userID, sid string) (*gatehouse.User, *gatehouse.Session, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil, ErrSessionEnded
	}
	if err != nil {
		return nil, nil, storeError(err)
	}
	sess, err := s.store.Session(ctx, sid)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil, ErrSessionEnded
	}
	if err != nil {
		return nil, nil, storeError(err)
	}
	if !gatehouse.SessionValid(sess, u, s.now()) {
		return nil, nil, ErrSessionEnded
	}
	return u, sess, nil
}
