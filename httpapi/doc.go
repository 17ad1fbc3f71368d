// Package httpapi owns the HTTP surface of the Gatehouse server: the routes of
// design.md §2, the OAuth 2.0 wire formats (RFC 6749 token and error
// responses, RFC 6750 Bearer challenges, RFC 7009 revocation, RFC 7662
// introspection, RFC 8414 metadata), client authentication (RFC 6749
// §2.3.1), the canonical form of usernames, the client IP behind trusted
// proxies, security headers and request caps, the admin API and the
// Prometheus request metrics.
//
// It decides nothing about tokens itself: session runs the refresh-token
// state machine and checks access tokens (Manager.Authenticate refuses
// revoked ones), password hashes and verifies, ratelimit throttles logins,
// and the store keeps everything. This package turns requests into calls to
// them and their errors into precise 4xx answers; an error it does not know
// becomes a logged 500 with no detail.
//
// Hostile input is answered before it costs anything: bodies over 64 KiB are
// refused with 413 before parsing, repeated parameters and parameters in the
// query string of the token endpoints are invalid_request, passwords over
// 1,024 bytes are refused before hashing, Bearer tokens over 8 KiB before
// decoding. Unknown users are checked against a dummy hash and get the same
// invalid_grant as a wrong password.
//
// Wire details that design.md leaves open, as built here:
//   - a throttled login is 429 {"error":"too_many_requests"} with
//     Retry-After; a full password-hashing queue is 503
//     {"error":"temporarily_unavailable"} with Retry-After.
//   - /revocations answers {"revocations":[{"cursor","kind","value",
//     "forget_at"}],"next"} with forget_at in Unix seconds; "next" is the
//     cursor to pass as since= on the next call.
//   - the admin API speaks JSON only (scopes as an array of strings).
//   - POST /signup (only with Config.Signup) takes username and password,
//     creates a user without scopes, answers 201 {"sub",
//     "preferred_username"} or 409 for a taken name, and counts every
//     sign-up against the client IP with the login throttle.
//
// Routing is the standard library's ServeMux (method patterns, 405 with
// Allow); metrics are github.com/prometheus/client_golang; Unicode
// normalisation of usernames is golang.org/x/text/unicode/norm.
package httpapi
