package httpapi

import "net/http"

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
	errUnsupportedGrantType = &oauthError{Code: "unsupported_grant_type", Description: "grant_type must be password or refresh_token", Status: http.StatusBadRequest}
	errInvalidScope         = &oauthError{Code: "invalid_scope", Status: http.StatusBadRequest}
	errTooLarge             = &oauthError{Code: "invalid_request", Description: "request body too large", Status: http.StatusRequestEntityTooLarge}
	errThrottled            = &oauthError{Code: "too_many_requests", Description: "too many login attempts; retry later", Status: http.StatusTooManyRequests}
	errBusy                 = &oauthError{Code: "temporarily_unavailable", Description: "the server is busy; retry later", Status: http.StatusServiceUnavailable}
	errNotFound             = &oauthError{Code: "not_found", Description: "no such resource", Status: http.StatusNotFound}
	errConflict             = &oauthError{Code: "conflict", Description: "already exists", Status: http.StatusConflict}
)

// errBadCredentials is the one answer to a wrong password, an unknown user,
// a malformed username and a disabled account: it never says which.
var errBadCredentials = errInvalidGrant.with("invalid username or password")
