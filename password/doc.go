// Package password hashes and verifies the passwords of Gatehouse users.
//
// New hashes are argon2id (RFC 9106) in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash), at or above the OWASP minimum
// (m=19 MiB, t=2, p=1). Verify also accepts hashes imported from other
// systems — bcrypt ($2a$, $2b$, $2y$), passlib's $argon2id$, $argon2i$ and
// $pbkdf2-sha256$ — and reports rehash=true after a successful check of any
// hash that is not argon2id at the current parameters, so the caller can
// store a fresh hash on the next login. CheckHash validates such a hash
// (format and bounded parameters) without hashing, for imports;
// LooksLikeHash recognises hashes of other schemes too, so that one is not
// mistaken for a password.
//
// Two properties matter for a login endpoint:
//   - A Hasher bounds how many hashes run at once (each argon2id hash holds
//     Config.Memory KiB). Past the bound a call waits at most
//     Config.MaxWait and then fails with ErrBusy, so a login storm costs
//     latency, never memory. The server answers ErrBusy with 503 and
//     Retry-After.
//   - VerifyDummy costs what a real argon2id Verify costs, so a login for
//     an unknown user can take the same time as a wrong password.
//
// Password lengths are checked before any hashing (ErrTooLong, ErrTooShort).
// The primitives are golang.org/x/crypto/argon2, golang.org/x/crypto/bcrypt
// and the standard library's crypto/pbkdf2 and crypto/subtle; this package
// only parses and formats hash strings and decides. It never logs.
package password
