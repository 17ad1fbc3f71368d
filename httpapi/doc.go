// Package httpapi owns the HTTP surface of the Gatehouse server: the routes
// of the README's "Endpoints" (described in full by /openapi.json), the
// OAuth 2.0 wire formats (RFC 6749 token and error responses, RFC 6750
// Bearer challenges, RFC 7009 revocation, RFC 7662 introspection, RFC 8414
// metadata), client authentication (RFC 6749
// §2.3.1), the client IP behind trusted proxies, security headers and
// request caps, the admin API, browser mode (the cookie endpoints, CORS and
// the account page, docs/browser.md) and the Prometheus request metrics.
//
// It decides nothing itself: account owns every change to a user and the
// login policy, clients every change to a client and every check of its
// credentials, session runs the refresh-token state machine, mints
// clients' own tokens and checks access tokens from durable state
// (Manager.Authenticate, Manager.Check), guard extracts
// and challenges bearer tokens on the server's own routes as on any API's,
// and the store keeps everything. Handlers return errors; one table (wire)
// maps the domain's errors to precise 4xx answers, and an error it does not
// know becomes a logged 500 with no detail.
//
// Hostile input is answered before it costs anything: bodies over 64 KiB are
// refused with 413 before parsing, repeated parameters and parameters in the
// query string of the token endpoints are invalid_request, passwords over
// 1,024 bytes are refused before hashing, Bearer tokens over 8 KiB before
// decoding. Unknown users are checked against a dummy hash and get the same
// invalid_grant as a wrong password.
//
// Wire details, as built here:
//   - a throttled login is 429 {"error":"too_many_requests"} with
//     Retry-After; a full password-hashing queue is 503
//     {"error":"temporarily_unavailable"} with Retry-After.
//   - /revocations answers {"revocations":[{"cursor","kind","value",
//     "forget_at"}],"next","resync"} with forget_at in Unix seconds
//     (rounded up); "next" is the cursor to pass as since= on the next
//     call; wait= (up to 60 s) makes a reader that is up to date wait for
//     the next entry; "resync" marks a snapshot from the start for a reader
//     whose cursor cannot be continued (docs/revocation.md).
//   - the admin API speaks JSON only (scopes as an array of strings).
//   - /revocations entries of kind "user" carry "issued_before" (Unix
//     seconds): every access token of that user with an earlier iat is
//     revoked.
//   - POST /signup (only with Config.Signup) takes username and password,
//     creates a user without scopes, answers 201 {"sub",
//     "preferred_username"} or 409 for a taken name; sign-ups are bounded
//     per client address by their own limit.
//   - the default scope of a login (no scope, or an empty one) is every
//     scope of the user that the client allows, except gatehouse:admin.
//   - grant_type=client_credentials answers without refresh_token; a
//     public client asking for it is 401 invalid_client (it presents no
//     credentials to authenticate). Throttled client authentication is 429
//     {"error":"too_many_requests"} with Retry-After, as a throttled login.
//   - /introspect answers a client's own token with its sub and client_id
//     and no username or sid.
//   - the admin API (docs/admin-api.md): pages of users (?limit, ?after,
//     "next"), look-up by ?username=, claims as a JSON merge patch on
//     PATCH, password_hash on POST, a user's sessions, /admin/clients.
//   - HTTP Basic with an empty id and an empty secret (Swagger UI's
//     default) is the first-party client, as an empty client_id is.
//   - browser mode: /session/login, /session/refresh, /session/logout and
//     /session/password take JSON and answer {"expires_in", "scope"}
//     without tokens, which travel in cookies (cookieJar); guard.CSRF
//     guards them and the caller's own routes when a cookie authenticates
//     them; POST /logout also takes others=true.
//
// The routes are described by openapi.json (OpenAPI 3.1, embedded and
// served at /openapi.json with the server's own URL), read and tried at
// /docs (Swagger UI, embedded: docsui/); every route is registered through
// routeMux, which records it, and the tests hold the document to that list
// both ways and the real answers to its schemas (docs/discovery.md).
//
// Routing is the standard library's ServeMux (method patterns, 405 with
// Allow); metrics are github.com/prometheus/client_golang.
package httpapi
