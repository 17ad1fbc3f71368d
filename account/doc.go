// Package account owns Gatehouse's users: every change to a user, from the
// admin API, the command line, sign-up or a login, goes through its
// Service, so each rule about users is written once.
//
//   - Names: one canonical form (CanonicalUsername: RFC 8265 PRECIS, no
//     mixed-script look-alikes), used to store and to look up.
//   - Ids: gatehouse.NewID, the same form as session ids and jti.
//   - Conditional writes: a change is decided on the user as read and
//     written only if the user is still that version (compare and swap);
//     a change that lost the race is decided again on the new state. The
//     rehash after a login replaces only the hash it verified.
//   - Ending what was issued: a password change, disabling, taking a
//     scope away, ending all sessions and deletion move the user's
//     security epoch in the same atomic write, which ends every session
//     and access token issued before it, at once, on every replica, and
//     puts "every token of this user issued before T" in the revocation
//     feed. A login in flight creates its session only if the user is
//     still in the state its password was checked against.
//   - Login policy: the throttle reserves an attempt before the password
//     hash, an unknown user costs the same hash as a known one (the dummy
//     hash), older or imported hashes are upgraded, and every outcome is
//     audited. Sign-up has its own per-address limit. A user's change of
//     their own password checks the current one by the same policy, ends
//     every session and starts a new one for the asking device only if
//     nothing changed the user meanwhile (ChangeOwnPassword).
//   - Custom claims: set with a user or changed like any field (the same
//     conditional writes), checked by gatehouse.CheckCustomClaims; a change
//     of claims moves no epoch and reaches the user's tokens at the next
//     refresh.
//   - Imports: users with the password hashes of another system
//     (password.CheckHash), every line checked before one atomic write
//     (UserStore.ImportUsers); an existing user is changed only when asked,
//     as Update changes it.
//   - Audit: one recorder (package audit) for every change.
//
// docs/security.md has the threat model these rules answer.
package account
