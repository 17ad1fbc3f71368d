package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/session"
)

// maxPassword is the longest password accepted, checked before any hashing.
const maxPassword = 1024

// passwordGrant is grant_type=password, Gatehouse's first-party login.
// The order matters: cheap checks, then the throttle, then exactly one
// password hash whether or not the user exists, then the outcome recorded
// with the throttle and in the audit log. Every failure of the
// credentials is the same invalid_grant.
func (s *server) passwordGrant(w http.ResponseWriter, r *http.Request, p params, client *gatehouse.Client) (*session.Grant, error) {
	ctx := r.Context()
	rawUser, pw := p.get("username"), p.get("password")
	if rawUser == "" || pw == "" {
		return nil, errInvalidRequest.with("username and password are required")
	}
	if len(pw) > maxPassword {
		return nil, errInvalidRequest.with("password too long")
	}
	scopes, err := requestedScope(p)
	if err != nil {
		return nil, err
	}
	ip := clientIP(r, s.proxies)
	username, nameErr := CanonicalUsername(rawUser)
	account := username
	if nameErr != nil {
		account = truncateBytes(rawUser, 256)
	}

	if s.throttle != nil {
		d, err := s.throttle.Check(ctx, account, ip)
		if err != nil {
			return nil, err
		}
		if !d.Allowed {
			retryAfter(w, d.RetryAfter)
			return nil, errThrottled
		}
	}

	var u *gatehouse.User
	if nameErr == nil {
		u, err = s.store.UserByUsername(ctx, username)
		if err != nil && !errors.Is(err, gatehouse.ErrNotFound) {
			return nil, err
		}
	}
	ev := &gatehouse.Event{ClientID: client.ID, IP: ip}
	if u == nil {
		if err := s.passwords.VerifyDummy(ctx, pw); err != nil {
			return nil, hashError(err)
		}
		ev.Detail = "unknown user"
		s.loginFailed(ctx, account, ip, ev)
		return nil, errBadCredentials
	}
	ev.UserID = u.ID
	ok, rehash, err := s.passwords.Verify(ctx, pw, u.PasswordHash)
	if err != nil && !errors.Is(err, password.ErrUnknownFormat) {
		return nil, hashError(err)
	}
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "stored password hash not verifiable", slog.String("user_id", u.ID))
	}
	if !ok {
		ev.Detail = "wrong password"
		s.loginFailed(ctx, account, ip, ev)
		return nil, errBadCredentials
	}
	if u.Disabled {
		ev.Detail = "user disabled"
		s.loginFailed(ctx, account, ip, ev)
		return nil, errBadCredentials
	}
	if s.throttle != nil {
		if err := s.throttle.Success(ctx, account, ip); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "record login success with the throttle", slog.Any("err", err))
		}
	}
	if rehash {
		s.rehash(ctx, u, pw)
	}
	g, err := s.sessions.Login(ctx, session.Login{
		User: u, ClientID: client.ID, Scopes: scopes, UserAgent: r.UserAgent(), IP: ip,
	})
	if err != nil {
		return nil, sessionError(err)
	}
	ev.Kind, ev.SessionID, ev.Detail = gatehouse.EventLoginOK, g.Session.ID, "password"
	s.record(ctx, ev)
	return g, nil
}

// loginFailed counts the failure with the throttle and records it.
func (s *server) loginFailed(ctx context.Context, account, ip string, ev *gatehouse.Event) {
	if s.throttle != nil {
		if err := s.throttle.Failure(ctx, account, ip); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "record login failure with the throttle", slog.Any("err", err))
		}
	}
	ev.Kind = gatehouse.EventLoginFailed
	s.record(ctx, ev)
}

// rehash stores the password under the current parameters after a
// successful login with an older or imported hash. A failure only delays
// the upgrade to the next login.
func (s *server) rehash(ctx context.Context, u *gatehouse.User, pw string) {
	h, err := s.passwords.Hash(ctx, pw)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "rehash password", slog.String("user_id", u.ID), slog.Any("err", err))
		return
	}
	nu := *u
	nu.PasswordHash, nu.UpdatedAt = h, s.now().UTC()
	if err := s.store.UpdateUser(ctx, &nu); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "store rehashed password", slog.String("user_id", u.ID), slog.Any("err", err))
		return
	}
	*u = nu
}

// hashError maps the password package's errors to the wire.
func hashError(err error) error {
	switch {
	case errors.Is(err, password.ErrBusy):
		return errBusy
	case errors.Is(err, password.ErrTooLong):
		return errInvalidRequest.with("password too long")
	}
	return err
}

// record writes an audit event and its structured-log twin. Events carry
// ids, never a password or a token.
func (s *server) record(ctx context.Context, e *gatehouse.Event) {
	e.Time = s.now().UTC()
	s.log.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("kind", e.Kind), slog.String("user_id", e.UserID),
		slog.String("session_id", e.SessionID), slog.String("client_id", e.ClientID), slog.String("ip", e.IP),
		slog.String("detail", e.Detail))
	if err := s.store.RecordEvent(ctx, e); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "record audit event", slog.String("kind", e.Kind), slog.Any("err", err))
	}
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
