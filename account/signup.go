package account

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse"
)

// Signup creates a user without scopes for anyone who asks (POST /signup
// behind --signup). It is bounded per client address by its own limit,
// reserved before the password is hashed and never counted against any
// login; a created account and a taken name both count. Errors: those of
// Create, and *ThrottledError.
func (s *Service) Signup(ctx context.Context, username, pw, ip string) (*gatehouse.User, error) {
	// Bad input is refused before it can count.
	if _, err := CanonicalUsername(username); err != nil {
		return nil, err
	}
	if err := s.passwords.CheckPolicy(pw); err != nil {
		return nil, err
	}
	var end func(error)
	if s.throttle != nil {
		d, a, err := s.throttle.ReserveSignup(ctx, ip)
		if err != nil {
			return nil, err
		}
		if !d.Allowed {
			return nil, &ThrottledError{RetryAfter: d.RetryAfter, Signup: true}
		}
		end = func(err error) {
			ctx := context.WithoutCancel(ctx)
			switch {
			case err == nil:
				a.Succeeded(ctx)
			case errors.Is(err, ErrUsernameTaken):
				a.Failed(ctx)
			default: // nothing was created or learnt: hashing was busy, the store failed
				a.Cancel(ctx)
			}
		}
	}
	u, err := s.Create(ctx, NewUser{Username: username, Password: pw, Scopes: []string{}}, Actor{By: "sign-up", IP: ip})
	if end != nil {
		end(err)
	}
	return u, err
}
