// Package clients owns Gatehouse's registered OAuth clients: every change
// to a client, from the command line or the admin API, goes through its
// Service, and so does every check of a client's credentials, on every
// endpoint that takes them.
//
//   - Ids: chosen ("orders-api", gatehouse.ValidClientID) or generated
//     ("gh_" and 130 random bits). A client's own tokens carry its id as
//     sub (RFC 9068 §2.2), so no client may have a user's id (the store
//     refuses it) and user ids are never chosen.
//   - Secrets: generated (260 random bits), shown once, stored as SHA-256
//     (password.SecretHash): nothing to guess, so a fast hash keeps every
//     client-authenticated call cheap. Secrets that older versions stored
//     as argon2id still verify.
//   - Authentication (RFC 6749 §2.3.1): a presented secret is reserved
//     with the login throttle (an account key of the client id, the
//     client's address) before it is checked, exactly as a password is, so
//     wrong secrets slow down like wrong passwords; a right one settles the
//     reservation as a successful login does. Concurrent requests with the
//     same client_id and secret share one reservation and one check, so a
//     resource server introspecting many tokens at once is not refused.
//     An unknown client, a wrong or missing secret, and a secret for a
//     public client are one answer, ErrInvalidClient.
//   - Revoking a client's own tokens: rotating its secret and deleting it
//     move its epoch (gatehouse.NextClientEpoch) in the same atomic write
//     that puts "every token of this client issued before" in the
//     revocation feed; deletion also ends the sessions of users who logged
//     in through it.
//   - Audit: every change is recorded (package audit).
package clients
