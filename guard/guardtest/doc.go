// Package guardtest is an issuer for the tests of an API protected by
// guard. It serves RFC 8414 metadata and a JWKS on a loopback httptest
// server and signs access tokens with the token package, as Gatehouse
// does (RFC 9068 profile), so that a test runs the API's real
// guard.NewRemoteVerifier, middleware and handlers against real tokens,
// without a Gatehouse server or its database. The examples under
// examples/ (chi, gin, echo) test themselves with it.
package guardtest
