package account

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"github.com/gatehouse/gatehouse/session"
)

// LoginRequest is a password login.
type LoginRequest struct {
	Username, Password string
	// Client is the client the user logs in through, authenticated by the
	// caller; nil is the built-in first-party client.
	Client *gatehouse.Client
	// Scopes requested; nil or empty for the default scope (every scope of
	// the user except gatehouse:admin, which is granted only by name).
	Scopes        []string
	IP, UserAgent string
}

// Login checks a password and starts a session. The order matters: the
// throttle reserves the attempt first (so guesses in flight count), then
// exactly one password hash runs whether or not the user exists, then the
// session is created only if the user is still in the state the password
// was checked against, then the outcome is recorded with the throttle and
// in the audit log. Every failure of the credentials is ErrBadCredentials.
// Other errors: *ThrottledError, ErrInvalidScope, password.ErrTooLong,
// password.ErrBusy (the attempt is not counted: nothing was checked).
func (s *Service) Login(ctx context.Context, l LoginRequest) (*session.Grant, error) {
	if s.sessions == nil {
		return nil, errors.New("account: Login needs a session manager")
	}
	if len(l.Password) > s.passwords.Config().MaxLength {
		return nil, password.ErrTooLong
	}
	name, nameErr := CanonicalUsername(l.Username)
	account := name
	if nameErr != nil {
		account = truncateBytes(l.Username, 256)
	}
	attempt, err := s.reserve(ctx, account, l.IP)
	if err != nil {
		return nil, err
	}
	// The attempt ends whatever happens to the request.
	end := context.WithoutCancel(ctx)
	ev := &gatehouse.Event{ClientID: gatehouse.FirstPartyClientID, IP: l.IP}
	if l.Client != nil {
		ev.ClientID = l.Client.ID
	}

	var u *gatehouse.User
	if nameErr == nil {
		u, err = s.store.UserByUsername(ctx, name)
		if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
			attempt.Cancel(end)
			return nil, storeError(err)
		}
	}
	if u == nil {
		if err := s.passwords.VerifyDummy(ctx, l.Password); err != nil {
			attempt.Cancel(end)
			return nil, err
		}
		return nil, s.loginFailed(end, attempt, ev, "unknown user")
	}
	ev.UserID = u.ID
	ok, rehash, err := s.passwords.Verify(ctx, l.Password, u.PasswordHash)
	if err != nil && !errors.Is(err, password.ErrUnknownFormat) {
		attempt.Cancel(end)
		return nil, err
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "stored password hash not verifiable", slog.String("user_id", u.ID))
	}
	if !ok {
		return nil, s.loginFailed(end, attempt, ev, "wrong password")
	}
	if u.Disabled {
		return nil, s.loginFailed(end, attempt, ev, "user disabled")
	}

	g, err := s.startSession(ctx, u, l)
	switch {
	case errors.Is(err, session.ErrInvalidScope):
		// The password was right: the attempt is no guess.
		attempt.Succeeded(end)
		return nil, ErrInvalidScope
	case errors.Is(err, errChangedUnderLogin):
		return nil, s.loginFailed(end, attempt, ev, "user changed during the login")
	case err != nil:
		attempt.Cancel(end)
		return nil, err
	}
	if err := attempt.Succeeded(end); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "record login success with the throttle", slog.Any("err", err))
	}
	if rehash {
		s.rehash(end, u, l.Password)
	}
	ev.Kind, ev.SessionID, ev.Detail = gatehouse.EventLoginOK, g.Session.ID, "password"
	s.audit.Record(ctx, ev)
	return g, nil
}

// errChangedUnderLogin: the password was checked against a hash that is
// no longer the user's, or the user was disabled or deleted meanwhile.
var errChangedUnderLogin = errors.New("account: user changed during the login")

// startSession creates the session of a login whose password was checked
// against u. If the user changed meanwhile (its epoch moved: a new
// password, a scope taken away, all sessions ended, disabled, deleted), the
// user is read again: if its password hash is still the one that was
// checked and it is enabled, the check still holds and the session is
// created under the new state; otherwise nothing is created.
func (s *Service) startSession(ctx context.Context, u *gatehouse.User, l LoginRequest) (*session.Grant, error) {
	checked := u.PasswordHash
	for range maxAttempts {
		g, err := s.sessions.Login(ctx, session.Login{
			User: u, Client: l.Client, Scopes: l.Scopes, UserAgent: l.UserAgent, IP: l.IP,
		})
		if !errors.Is(err, session.ErrUserChanged) {
			return g, err
		}
		u, err = s.store.UserByID(ctx, u.ID)
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil, errChangedUnderLogin
		}
		if err != nil {
			return nil, storeError(err)
		}
		if u.PasswordHash != checked || u.Disabled {
			return nil, errChangedUnderLogin
		}
	}
	return nil, ErrContended
}

// reserve reserves a login attempt with the throttle (nil: none).
func (s *Service) reserve(ctx context.Context, account, ip string) (*ratelimit.Attempt, error) {
	if s.throttle == nil {
		return nil, nil
	}
	d, a, err := s.throttle.Reserve(ctx, account, ip)
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, &ThrottledError{RetryAfter: d.RetryAfter}
	}
	return a, nil
}

// loginFailed ends the attempt as a failure and records it.
func (s *Service) loginFailed(ctx context.Context, a *ratelimit.Attempt, ev *gatehouse.Event, detail string) error {
	if err := a.Failed(ctx); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "record login failure with the throttle", slog.Any("err", err))
	}
	ev.Kind, ev.Detail = gatehouse.EventLoginFailed, detail
	s.audit.Record(ctx, ev)
	return ErrBadCredentials
}

// rehash stores the password under the current parameters after a
// successful login with an older or imported hash, if, and only if, the
// stored hash is still the one that was verified: a password set meanwhile
// is never replaced. A failure only delays the upgrade to the next login.
func (s *Service) rehash(ctx context.Context, u *gatehouse.User, pw string) {
	h, err := s.passwords.Hash(ctx, pw)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "rehash password", slog.String("user_id", u.ID), slog.Any("err", err))
		return
	}
	err = s.store.ReplacePasswordHash(ctx, u.ID, u.PasswordHash, h, s.clock())
	switch {
	case errors.Is(err, gatehouse.ErrStale), errors.Is(err, gatehouse.ErrNotFound):
		s.log.LogAttrs(ctx, slog.LevelInfo, "rehash skipped: the password changed meanwhile", slog.String("user_id", u.ID))
	case err != nil:
		s.log.LogAttrs(ctx, slog.LevelWarn, "store rehashed password", slog.String("user_id", u.ID), slog.Any("err", err))
	}
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
