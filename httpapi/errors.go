package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/clients"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/session"
)

// oauthError is an RFC 6749 §5.2 error answer: a code, a description safe to
// show the client, and the HTTP status. The values below are sentinels;
// with returns a copy carrying a more precise description.
type oauthError struct {
	Code        string
	Description string
	Status      int
}

func (e *oauthError) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// with returns a copy of e with the description desc.
func (e *oauthError) with(desc string) *oauthError {
	c := *e
	c.Description = desc
	return &c
}

var (
	errInvalidRequest       = &oauthError{Code: "invalid_request", Status: http.StatusBadRequest}
	errInvalidClient        = &oauthError{Code: "invalid_client", Description: "client authentication failed", Status: http.StatusUnauthorized}
	errInvalidGrant         = &oauthError{Code: "invalid_grant", Status: http.StatusBadRequest}
	errUnsupportedGrantType = &oauthError{Code: "unsupported_grant_type", Description: "grant_type must be password, refresh_token or client_credentials", Status: http.StatusBadRequest}
	errInvalidScope         = &oauthError{Code: "invalid_scope", Status: http.StatusBadRequest}
	errTooLarge             = &oauthError{Code: "invalid_request", Description: "request body too large", Status: http.StatusRequestEntityTooLarge}
	errThrottled            = &oauthError{Code: "too_many_requests", Description: "too many login attempts; retry later", Status: http.StatusTooManyRequests}
	errBusy                 = &oauthError{Code: "temporarily_unavailable", Description: "the server is busy; retry later", Status: http.StatusServiceUnavailable}
	errNotFound             = &oauthError{Code: "not_found", Description: "no such resource", Status: http.StatusNotFound}
	errConflict             = &oauthError{Code: "conflict", Description: "already exists", Status: http.StatusConflict}
	// errTokenGone is the RFC 6750 answer to a token whose user went away
	// between its verification and its use.
	errTokenGone = &oauthError{Code: "invalid_token", Description: "the access token is invalid, expired or revoked", Status: http.StatusUnauthorized}
)

// errBadCredentials is the one answer to a wrong password, an unknown user,
// a malformed username and a disabled account: it never says which.
var errBadCredentials = errInvalidGrant.with("invalid username or password")

// wire maps an error to its answer, and the Retry-After it carries (zero
// for none): the one table from the domain's errors to the wire. nil for an
// error it does not know, which is a 500.
func wire(err error) (*oauthError, time.Duration) {
	var oe *oauthError
	if errors.As(err, &oe) {
		if oe.Status == http.StatusServiceUnavailable {
			return oe, time.Second
		}
		return oe, 0
	}
	var nr *session.NotReadyError
	if errors.As(err, &nr) {
		return errConflict.with("the next signing key has not been published for a JWKS cache lifetime yet; it may sign from " +
			nr.SignsFrom.UTC().Format(time.RFC3339)), 0
	}
	var te *account.ThrottledError
	if errors.As(err, &te) {
		if te.Signup {
			return errThrottled.with("too many sign-ups; retry later"), te.RetryAfter
		}
		return errThrottled, te.RetryAfter
	}
	var ct *clients.ThrottledError
	if errors.As(err, &ct) {
		return errThrottled.with("too many failed client authentications; retry later"), ct.RetryAfter
	}
	// Refusals whose description says what is wrong with the input.
	var ce *gatehouse.ClaimError
	if errors.As(err, &ce) {
		return errInvalidRequest.with(ce.Error()), 0
	}
	for _, d := range described {
		if errors.Is(err, d.err) {
			return errInvalidRequest.with(d.field + strings.TrimPrefix(err.Error(), d.err.Error()+": ")), 0
		}
	}
	for _, m := range wireTable {
		if errors.Is(err, m.err) {
			if m.answer.Status == http.StatusServiceUnavailable {
				return m.answer, time.Second
			}
			return m.answer, 0
		}
	}
	return nil, 0
}

// wireTable is the answer to each domain error, in the order they are tried.
var wireTable = []struct {
	err    error
	answer *oauthError
}{
	{account.ErrBadCredentials, errBadCredentials},
	{account.ErrInvalidUsername, errInvalidRequest.with("invalid username")},
	{account.ErrUsernameTaken, errConflict.with("username taken")},
	{account.ErrNotFound, errNotFound.with("no such user")},
	{account.ErrInvalidScope, errInvalidScope.with("the requested scope exceeds the scope granted")},
	{account.ErrContended, errConflict.with("the user changed concurrently; retry")},
	{session.ErrInvalidScope, errInvalidScope.with("the requested scope exceeds the scope granted")},
	{session.ErrInvalidGrant, errInvalidGrant.with("the grant is invalid, expired or revoked")},
	{session.ErrUnknownKey, errNotFound.with("no such signing key")},
	{session.ErrKeysChanged, errConflict.with("the signing keys changed concurrently; look again")},
	{password.ErrTooShort, errInvalidRequest.with("password too short")},
	{password.ErrTooLong, errInvalidRequest.with("password too long")},
	{password.ErrBusy, errBusy},
	{session.ErrUnauthorizedClient, errInvalidClient.with("client_credentials is for confidential clients: authenticate with the client's secret")},
	{session.ErrInvalidClient, errInvalidClient},
	// The store could not serve the call (store/resilient), or the
	// session layer cannot serve it yet (session.ErrUnavailable is the
	// same error): retry later.
	{gatehouse.ErrUnavailable, errBusy.with("temporarily unavailable; retry later")},
	{clients.ErrInvalidClient, errInvalidClient},
	{clients.ErrNotFound, errNotFound.with("no such client")},
	{clients.ErrIDTaken, errConflict.with("client_id taken (by a client, or a user's id)")},
	{clients.ErrContended, errConflict.with("the client changed concurrently; retry")},
}

// described are refusals answered with invalid_request and their own text
// (what comes after the sentinel's), after field.
var described = []struct {
	err   error
	field string
}{
	{account.ErrInvalidPasswordHash, "password_hash: "},
	{clients.ErrInvalid, ""},
}
