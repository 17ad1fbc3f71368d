package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// signupAccount is the throttle account that counts sign-ups per client IP.
// It is not a canonical username, so it never collides with a real one.
const signupAccount = "\x00signup"

// handleSignup is POST /signup, served only with Config.Signup: username
// and password, form-encoded or JSON, → 201 {"sub","preferred_username"}.
// The new user has no scopes; an administrator grants them. Every sign-up
// counts against the client IP with the login throttle, so the endpoint
// cannot be used to create accounts in bulk. A taken username is 409: an
// open sign-up necessarily tells whether a name exists.
func (s *server) handleSignup(w http.ResponseWriter, r *http.Request) {
	p, err := readParams(w, r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for name := range p {
		if name != "username" && name != "password" {
			s.fail(w, r, errInvalidRequest.with("unknown parameter "+quoteName(name)))
			return
		}
	}
	ctx := r.Context()
	ip := clientIP(r, s.proxies)
	if s.throttle != nil {
		d, err := s.throttle.Check(ctx, signupAccount, ip)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !d.Allowed {
			retryAfter(w, d.RetryAfter)
			s.fail(w, r, errThrottled.with("too many sign-ups; retry later"))
			return
		}
	}
	u, err := s.createUser(ctx, p.get("username"), p.get("password"), []string{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.throttle != nil {
		if err := s.throttle.Failure(ctx, signupAccount, ip); err != nil {
			s.log.WarnContext(ctx, "count a sign-up with the throttle", "err", err)
		}
	}
	s.record(ctx, &gatehouse.Event{Kind: gatehouse.EventAdmin, UserID: u.ID, IP: ip, Detail: "user signed up"})
	noStore(w)
	writeJSON(w, http.StatusCreated, map[string]string{"sub": u.ID, "preferred_username": u.Username})
}

// createUser canonicalises the username, checks the password policy
// before hashing, and stores the user. Errors are wire errors: 400
// invalid_request for a bad name or password, 409 for a taken name, 503
// when hashing is saturated.
func (s *server) createUser(ctx context.Context, username, pw string, scopes []string) (*gatehouse.User, error) {
	name, err := CanonicalUsername(username)
	if err != nil {
		return nil, errInvalidRequest.with("invalid username")
	}
	if err := s.passwords.CheckPolicy(pw); err != nil {
		return nil, policyError(err)
	}
	hash, err := s.passwords.Hash(ctx, pw)
	if err != nil {
		return nil, hashError(err)
	}
	now := s.now().UTC()
	u := &gatehouse.User{
		ID: session.NewID(), Username: name, PasswordHash: hash, Scopes: scopes,
		CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now,
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, gatehouse.ErrConflict) {
			return nil, errConflict.with("username taken")
		}
		return nil, err
	}
	return u, nil
}
