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
	g, err := s.login(ctx, l)
	s.metrics.logins.WithLabelValues(loginOutcome(err)).Inc()
	return g, err
}

func (s *Service) login(ctx context.Context, l LoginRequest) (*session.Grant, error) {
	if s.sessions == nil {
		return nil, errors.New("account: Login needs a session manager")
	}
	name, nameErr := CanonicalUsername(l.Username)
	account := name
	if nameErr != nil {
		account = truncateBytes(l.Username, 256)
	}
	find := func() (*gatehouse.User, error) {
		if nameErr != nil {
			return nil, nil
		}
		u, err := s.store.UserByUsername(ctx, name)
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil, nil
		}
		return u, err
	}
	clientID := gatehouse.FirstPartyClientID
	if l.Client != nil {
		clientID = l.Client.ID
	}
	c, err := s.checkPassword(ctx, account, l.Password, l.IP, clientID, find)
	if err != nil {
		return nil, err
	}
	g, err := s.startSession(ctx, c.user, l)
	switch {
	case errors.Is(err, session.ErrInvalidScope):
		// The password was right: the attempt is no guess.
		c.attempt.Succeeded(c.end)
		return nil, ErrInvalidScope
	case errors.Is(err, errChangedUnderLogin):
		return nil, s.loginFailed(c.end, c.attempt, c.ev, "user changed during the login")
	case err != nil:
		c.attempt.Cancel(c.end)
		return nil, err
	}
	s.loginSucceeded(ctx, c, g, l.Password, "password")
	return g, nil
}

// checked is a password the login policy found right: the user as it was
// read for the check, the throttle's attempt (still open: the caller
// settles it), and the audit event under way.
type checked struct {
	user    *gatehouse.User
	attempt *ratelimit.Attempt
	rehash  bool
	end     context.Context // the request's context without its cancellation
	ev      *gatehouse.Event
}

// checkPassword is the login policy up to the password: the throttle
// reserves the attempt on account first (so guesses in flight count), then
// exactly one password hash runs whether or not find returns a user (nil,
// nil: there is none), and a disabled user fails like a wrong password.
// Every failure of the credentials is counted, audited and answered
// ErrBadCredentials; a check that could not run (store error,
// password.ErrBusy) is not counted.
func (s *Service) checkPassword(ctx context.Context, account, pw, ip, clientID string, find func() (*gatehouse.User, error)) (*checked, error) {
	if len(pw) > s.passwords.Config().MaxLength {
		return nil, password.ErrTooLong
	}
	attempt, err := s.reserve(ctx, account, ip)
	if err != nil {
		return nil, err
	}
	// The attempt ends whatever happens to the request.
	end := context.WithoutCancel(ctx)
	ev := &gatehouse.Event{ClientID: clientID, IP: ip}

	u, err := find()
	if err != nil {
		attempt.Cancel(end)
		return nil, storeError(err)
	}
	if u == nil {
		if err := s.passwords.VerifyDummy(ctx, pw); err != nil {
			attempt.Cancel(end)
			return nil, err
		}
		return nil, s.loginFailed(end, attempt, ev, "unknown user")
	}
	ev.UserID = u.ID
	ok, rehash, err := s.passwords.Verify(ctx, pw, u.PasswordHash)
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
	return &checked{user: u, attempt: attempt, rehash: rehash, end: end, ev: ev}, nil
}

// loginSucceeded settles a right password pw that started session g: the
// throttle refunds the attempt, an older hash is upgraded (if c.rehash),
// and the login is audited with detail.
func (s *Service) loginSucceeded(ctx context.Context, c *checked, g *session.Grant, pw, detail string) {
	if err := c.attempt.Succeeded(c.end); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "record login success with the throttle", slog.Any("err", err))
	}
	if c.rehash {
		s.rehash(c.end, c.user, pw)
	}
	c.ev.Kind, c.ev.SessionID, c.ev.Detail = gatehouse.EventLoginOK, g.Session.ID, detail
	s.audit.Record(ctx, c.ev)
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
