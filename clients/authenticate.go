package clients

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
)

// Credentials are what a request presents to authenticate its client
// (RFC 6749 §2.3.1), already taken from HTTP Basic or the body.
type Credentials struct {
	ID     string
	Secret string // "" when none was presented
	// IP is the client's address, for the throttle.
	IP string
}

// maxField caps a client_id or secret before any look-up.
const maxField = 256

// throttleAccount is the throttle's account key of client id: no
// canonical username holds a NUL, so it is no user's.
func throttleAccount(id string) string { return "\x00client:" + id }

// Authenticate identifies the client of a request. Without a client_id it
// is the built-in first-party public client (FirstParty), which is also
// what the id "gatehouse" names until a client of that id is registered.
// A public client presents no secret; a confidential one presents its
// secret, which is reserved with the throttle before it is checked, as a
// password is. Concurrent calls presenting the same client_id and secret
// share one reservation and one check (and so one answer): a resource
// server that sends several introspections at once is not refused by a
// throttle that counts each reservation in flight as a failure until it
// settles, and a guess sent many times at once is still one guess.
// Different secrets are never merged.
//
// Errors: ErrInvalidClient (unknown client, wrong or missing secret, a
// secret for a public client, a field over 256 bytes), *ThrottledError,
// password.ErrBusy (a secret stored as argon2id found no hashing slot),
// or a wrapped store error.
func (s *Service) Authenticate(ctx context.Context, cr Credentials) (*gatehouse.Client, error) {
	if len(cr.ID) > maxField || len(cr.Secret) > maxField {
		return nil, ErrInvalidClient
	}
	if cr.ID == "" {
		if cr.Secret != "" {
			return nil, ErrInvalidClient
		}
		return FirstParty, nil
	}
	if cr.Secret == "" {
		// Nothing is guessed: a public client names itself.
		c, err := s.store.ClientByID(ctx, cr.ID)
		switch {
		case errors.Is(err, gatehouse.ErrNotFound) && cr.ID == gatehouse.FirstPartyClientID:
			return FirstParty, nil
		case errors.Is(err, gatehouse.ErrNotFound):
			return nil, ErrInvalidClient
		case err != nil:
			return nil, storeError(err)
		case c.Confidential():
			return nil, ErrInvalidClient
		}
		return c, nil
	}

	// The shared check outlives a caller that gives up: the store, the
	// throttle's backend and the hashing queue bound it on their own.
	ch := s.checks.DoChan(s.credentialsKey(cr), func() (any, error) {
		return s.authenticateSecret(context.WithoutCancel(ctx), cr)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*gatehouse.Client), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// credentialsKey is the singleflight key of cr: an HMAC of the client_id
// and the secret under a random key of this process, so that the group
// holds no secret.
func (s *Service) credentialsKey(cr Credentials) string {
	m := hmac.New(sha256.New, s.flightKey)
	m.Write([]byte(cr.ID))
	m.Write([]byte{0})
	m.Write([]byte(cr.Secret))
	return string(m.Sum(nil))
}

// authenticateSecret reserves a secret check with the throttle, checks the
// secret and settles the reservation.
func (s *Service) authenticateSecret(ctx context.Context, cr Credentials) (*gatehouse.Client, error) {
	attempt, err := s.reserve(ctx, cr)
	if err != nil {
		return nil, err
	}
	end := context.WithoutCancel(ctx)
	c, ok, err := s.checkSecret(ctx, cr)
	switch {
	case err != nil:
		attempt.Cancel(end) // nothing was decided
		return nil, err
	case !ok:
		if err := attempt.Failed(end); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "record client authentication failure with the throttle", slog.Any("err", err))
		}
		return nil, ErrInvalidClient
	}
	if err := attempt.Succeeded(end); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "record client authentication with the throttle", slog.Any("err", err))
	}
	return c, nil
}

// checkSecret looks the client up and checks the secret it presented.
func (s *Service) checkSecret(ctx context.Context, cr Credentials) (*gatehouse.Client, bool, error) {
	c, err := s.store.ClientByID(ctx, cr.ID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, storeError(err)
	}
	if !c.Confidential() {
		return nil, false, nil
	}
	if password.IsSecretHash(c.SecretHash) {
		return c, password.VerifySecret(cr.Secret, c.SecretHash), nil
	}
	if s.passwords == nil {
		return nil, false, nil
	}
	ok, _, err := s.passwords.Verify(ctx, cr.Secret, c.SecretHash)
	switch {
	case errors.Is(err, password.ErrBusy):
		return nil, false, err
	case err != nil: // too long, or a hash in no known format
		return nil, false, nil
	}
	return c, ok, nil
}

// reserve reserves a secret check with the throttle (nil: none).
func (s *Service) reserve(ctx context.Context, cr Credentials) (*ratelimit.Attempt, error) {
	if s.throttle == nil {
		return nil, nil
	}
	d, a, err := s.throttle.Reserve(ctx, throttleAccount(cr.ID), cr.IP)
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		return nil, &ThrottledError{RetryAfter: d.RetryAfter}
	}
	return a, nil
}
