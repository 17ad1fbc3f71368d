package password

import (
	"regexp"
	"strings"
)

// CheckHash reports whether encoded is a stored hash that Verify checks:
// bcrypt ($2a$, $2b$, $2y$: what passlib and Python's bcrypt write, cost
// 4 to 16), passlib's $pbkdf2-sha256$ (at most 5,000,000 rounds), or an
// argon2id or argon2i PHC string of version 19 (at most 1 GiB and 64
// passes). It returns nil, or ErrUnknownFormat wrapped with the reason.
// It does no hashing: importing many hashes costs only their parsing.
// Bounds on the parameters keep one login from costing gigabytes or
// minutes, whatever was imported.
func CheckHash(encoded string) error {
	_, err := parseHash(encoded)
	return err
}

// otherHashFormats are hash formats of other systems, recognised by
// their prefix so that one is not mistaken for a password.
var otherHashFormats = regexp.MustCompile(`^(\$(1|2[abxy]?|5|6|7|y|gy|md5|apr1|sha1|sha256|sha512|scrypt|argon2(i|d|id)|pbkdf2(-sha1|-sha256|-sha512)?|bcrypt(-sha256)?|gh-sha256)\$|(pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5)\$)`)

// LooksLikeHash reports whether s is, or looks like, a password hash
// rather than a password: a hash CheckHash accepts, or one in the modular
// crypt or PHC form of another scheme ($6$…, $scrypt$…, $argon2d$…) or in
// Django's form (pbkdf2_sha256$…), with no white space and at least 20
// characters. Setting such a string as a password would make the hash's
// text the password; bring hashes in with an import instead.
func LooksLikeHash(s string) bool {
	if CheckHash(s) == nil {
		return true
	}
	return len(s) >= 20 && !strings.ContainsAny(s, " \t\r\n") && otherHashFormats.MatchString(s)
}
