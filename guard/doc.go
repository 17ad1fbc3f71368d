// Package guard is what a Go resource server imports to protect its routes
// with Gatehouse access tokens.
//
// It owns, and only owns, the resource-server side of a bearer token:
//
//   - extraction: ExtractBearer reads the Authorization header (RFC 6750 §2.1);
//     Middleware also reads a named cookie. Tokens in the query string
//     (RFC 6750 §2.3) are never accepted: a request carrying an access_token
//     query parameter is answered 400 invalid_request, whether or not it
//     also carries a header, so the token does not linger in logs unnoticed.
//   - verification: a Verifier turns a token string into *Claims.
//     LocalVerifier holds a key set (services that share the server's keys);
//     RemoteVerifier starts from the issuer URL, discovers the JWKS through
//     RFC 8414 metadata and keeps it fresh. The signature and claim checks
//     themselves are the token package's; guard adds caching, key discovery
//     and the HTTP answers.
//   - the verified-token cache: a token verified once is accepted from a
//     bounded map until its exp (checked on every hit), so a client that
//     repeats its token costs a map lookup, not a signature check. Entries are
//     evicted by jti and sid (revocation) and when their signing key leaves
//     the key set. The cache is written here rather than taken from a library
//     because guard may import only the standard library, the root package,
//     token and golang.org/x modules (README.md, "Layout"), and it needs secondary
//     indexes (jti, sid, kid) that general caches do not offer.
//   - revocation: a RevocationFeed long-polls the issuer's revocation feed
//     (docs/revocation.md) and holds what is in force in memory, bounded by
//     each entry's forget time; verifiers given it (WithRevocations, or
//     WithRevocationFeed on NewRemoteVerifier) refuse the tokens it
//     matches, evict them from the cache as entries arrive, drop revoked
//     keys from their key set, and refuse everything past a maximum
//     staleness if asked to. Its Prometheus gauges live in guard/guardprom,
//     so that guard itself does not depend on the Prometheus client.
//   - cookie mode (WithCookie): the token may come from the cookie that the
//     Gatehouse server's browser mode sets (AccessCookie); a
//     state-changing request authenticated that way must then pass the
//     CSRF rule (CSRF: not cross-origin unless trusted, the CSRFHeader
//     present, no body a form could send), the same rule the server
//     applies to its own cookie endpoints. The cross-origin check is the
//     standard library's http.CrossOriginProtection.
//   - authorization: RequireScope, RequireAnyScope and RequireFresh.
//   - the wire format: RFC 6750 §3 WWW-Authenticate challenges and short JSON
//     bodies that never echo the token.
//
// Handlers read the verified claims with ClaimsFrom. Every check fails
// closed: a RequireScope without Middleware before it denies.
//
// guard never imports the server, the stores or their drivers; a test keeps
// it that way.
package guard
