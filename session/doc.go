// Package session is the refresh-token state machine of Gatehouse: it starts
// a session at login (only if the user is still in the state its password
// was checked against), rotates its one-time refresh tokens, tells a retry
// within the grace window from reuse (which revokes the whole session, and is
// recognised even for a retired token whose row is gone, by the family every
// token of a session carries), ends sessions on logout, revocation, idle
// timeout and absolute lifetime, and mints the access tokens of a session
// with the signing keys kept in the store (Keyring): with the user's custom
// claims as the login or the rotation read them, and the client's scopes,
// audience and lifetime. It also mints a client's own tokens
// (client_credentials: no session, recorded with the client before they
// are handed out, so a secret rotation revokes them).
//
// Keyring owns the signing keys' lifecycle (docs/keys.md): it records a
// key's use before a token it signed is handed out, rotates on the stored
// schedule once the next key has been published for a JWKS cache lifetime,
// migrates the algorithm by a rotation, revokes a leaked key at once,
// deletes retired keys once their last token has expired, and seals the
// private keys under the key-encryption key (token.KEK). Every write it makes
// is conditional, so replicas sharing a store agree on one active key.
//
// It also checks the access tokens presented to the server's own endpoints
// (Manager.Authenticate), from durable state: the session must be active,
// its user enabled and in the security epoch the session was created under,
// and neither the token's jti nor its signing key revoked; a client's own
// token (Manager.Check, for introspection) lives while its client exists
// and has not moved its epoch past the token's iat.
//
// The rule that tells live, retry, reuse and ended apart is
// gatehouse.DecideRotation, in the domain; the stores apply it around their
// one atomic statement. Every change to a user, and the login policy, are
// the account package's. The store keeps SHA-256 hashes of refresh tokens
// only; a successor kept for retries is sealed (AES-GCM, crypto/hkdf) under
// a key derived from the token it replaced. See docs/security.md.
package session
