package httpapi

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrInvalidUsername: the string has no canonical username form.
var ErrInvalidUsername = errors.New("httpapi: invalid username")

// MaxUsernameRunes is the longest canonical username, in runes.
const MaxUsernameRunes = 64

// CanonicalUsername returns the one canonical form of a username, the form
// stored and looked up, so that two strings a person would read as the same
// name (differing in case, width or Unicode normal form) are one account,
// and no string can resolve to an account whose name it only resembles
// through characters nobody sees:
//
//  1. the string must be valid UTF-8;
//  2. it is normalised to NFKC (full-width and compatibility forms become
//     their plain letters: "ａｌｉｃｅ" is "alice");
//  3. each rune is case-folded with Unicode's simple mappings, as
//     lower(upper(r)), so that every case variant maps to one rune ("ALICE",
//     "Alice", final and medial sigma, "ẞ" and "ß");
//  4. it is normalised to NFKC again, which makes the result stable:
//     CanonicalUsername(CanonicalUsername(s)) == CanonicalUsername(s);
//  5. it is refused (ErrInvalidUsername) if it then holds a control, format,
//     surrogate, private-use or unassigned code point, a default-ignorable
//     or variation-selector code point (zero-width spaces and joiners, soft
//     hyphen, Hangul fillers…), a line or paragraph separator, any space
//     other than U+0020, a space at either end or two spaces in a row, or if
//     it is not 1 to 64 runes long.
//
// The CLI uses it too, so that `gatehouse user add` and the login
// endpoint agree on every name.
func CanonicalUsername(s string) (string, error) {
	// The byte bound only keeps normalisation cheap; the rune bound below
	// is the rule.
	if !utf8.ValidString(s) || len(s) > 1024 {
		return "", ErrInvalidUsername
	}
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, s)
	s = norm.NFKC.String(s)
	n := utf8.RuneCountInString(s)
	if n < 1 || n > MaxUsernameRunes || s[0] == ' ' || s[len(s)-1] == ' ' || strings.Contains(s, "  ") {
		return "", ErrInvalidUsername
	}
	for _, r := range s {
		if !allowedUsernameRune(r) {
			return "", ErrInvalidUsername
		}
	}
	return s, nil
}

func allowedUsernameRune(r rune) bool {
	switch {
	case r == ' ':
		return true
	case r == utf8.RuneError:
		return false
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Cs, unicode.Co, unicode.Zl, unicode.Zp, unicode.Zs):
		return false
	case unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector):
		return false
	case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S):
		return false // unassigned
	}
	return true
}
