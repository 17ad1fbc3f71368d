package account

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/bidirule"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"
)

// ErrInvalidUsername: the string has no canonical username form.
var ErrInvalidUsername = errors.New("account: invalid username")

// MaxUsernameRunes is the longest canonical username, in runes.
const MaxUsernameRunes = 64

// maxUsernameBytes bounds the input before any work is done. It only keeps
// the mapping cheap: MaxUsernameRunes, measured on the result, is the rule.
const maxUsernameBytes = 1024

// CanonicalUsername returns the one canonical form of a username, the form
// stored and looked up, so that strings a person reads as the same name
// (differing in case, width or Unicode normal form) are one account, and a
// name cannot resemble another through invisible characters or letters
// borrowed from another script. It returns an error wrapping
// ErrInvalidUsername, and no name, when s has no canonical form.
//
// s must be valid UTF-8 of at most 1,024 bytes. It is split at U+0020 into
// userparts, as RFC 8265 §3.5 allows: exactly one space between two
// userparts, none at either end. Each userpart is then
//
//  1. mapped rune by rune to unicode.ToLower(unicode.ToUpper(r)), so that
//     case variants that RFC 8265's lower-casing keeps apart, and a reader
//     does not, are one letter: final ς and σ, dotless ı and i, and İ and
//     i (the profile alone gives "i̇", a look-alike of "i"). Names stored
//     by the older canonical form, which folded case the same way, keep
//     resolving;
//  2. enforced with the PRECIS UsernameCaseMapped profile of RFC 8265 §3.3
//     (golang.org/x/text/secure/precis): full- and half-width forms become
//     their plain forms ("ａｌｉｃｅ" is "alice"), letters are lower-cased,
//     the result is NFC, and every code point outside the IdentifierClass
//     is refused: spaces, controls, format characters (zero-width joiners,
//     bidi controls, soft hyphen), private-use, unassigned and compatibility
//     characters (ligatures such as "ﬁ", Roman numerals, superscripts), and
//     non-ASCII symbols and punctuation;
//  3. refused if it begins with a combining mark (as IDNA does, RFC 5891
//     §4.2.3.2); if it holds a mark that cannot be seen, as TS #39 §5.4
//     advises (one nonspacing mark twice in a row, or a dot above on i or
//     j); or, if it holds right-to-left characters, if it breaks the Bidi
//     Rule of RFC 5893. The x/text profile applies the Bidi Rule to
//     every non-ASCII string, which refuses "1josé" and "josé." but not
//     "1jose"; RFC 8265 applies it only to strings with right-to-left
//     characters, so this function does too.
//
// The name is then refused unless it is 1 to MaxUsernameRunes runes long
// and meets the "Highly Restrictive" level of Unicode TS #39 §5.2, judged
// on the Script property of every rune: ignoring the Common and Inherited
// scripts, all of the name is in one script, or within Latin+Han+Hiragana+
// Katakana, Latin+Han+Bopomofo or Latin+Han+Hangul. So "аlice", with a
// Cyrillic а, is refused, while "алиса", "josé" and "tanaka太郎" are names.
// Its decimal digits must also come from one numbering system (TS #39 §5.3):
// "राम1१" is refused, as a digit of one system can pass for a different
// digit of another (Bengali ৪ is 4 and looks like 8).
//
// The result is its own canonical form:
// CanonicalUsername(CanonicalUsername(s)) == CanonicalUsername(s). A string
// whose mapped form would map again to something else is refused.
//
// Names that are confusable within one script are not refused: all-Cyrillic
// "раураl" is a name, and not "paypal". Finding them needs the TS #39
// confusables data (and Script_Extensions, which TS #39 uses in place of
// the Script property), neither of which the standard library or
// golang.org/x/text provides.
func CanonicalUsername(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: not UTF-8", ErrInvalidUsername)
	}
	if len(s) > maxUsernameBytes {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidUsername, maxUsernameBytes)
	}
	c, err := canonical(s)
	if err != nil {
		return "", err
	}
	if again, err := canonical(c); err != nil || again != c {
		return "", fmt.Errorf("%w: no stable canonical form", ErrInvalidUsername)
	}
	return c, nil
}

// usernamePart is UsernameCaseMapped without its Bidi Rule, which
// canonicalPart applies only where RFC 8265 asks for it.
var usernamePart = precis.NewIdentifier(precis.FoldWidth, precis.LowerCase(), precis.Norm(norm.NFC))

func canonical(s string) (string, error) {
	parts := strings.Split(s, " ")
	for i, p := range parts {
		c, err := canonicalPart(p)
		if err != nil {
			return "", err
		}
		parts[i] = c
	}
	c := strings.Join(parts, " ")
	if n := utf8.RuneCountInString(c); n > MaxUsernameRunes {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidUsername, MaxUsernameRunes)
	}
	if err := checkScripts(c); err != nil {
		return "", err
	}
	return c, nil
}

func canonicalPart(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("%w: empty, or a space at either end or beside another", ErrInvalidUsername)
	}
	p = strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, p)
	c, err := usernamePart.String(p)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidUsername, err)
	}
	if r, _ := utf8.DecodeRuneInString(c); unicode.Is(unicode.M, r) {
		return "", fmt.Errorf("%w: begins with a combining mark", ErrInvalidUsername)
	}
	if hiddenMark(c) {
		return "", fmt.Errorf("%w: a combining mark that does not show", ErrInvalidUsername)
	}
	if bidirule.DirectionString(c) == bidi.RightToLeft && !bidirule.ValidString(c) {
		return "", fmt.Errorf("%w: breaks the Bidi Rule", ErrInvalidUsername)
	}
	return c, nil
}

// hiddenMark reports whether s holds a nonspacing mark that adds nothing to
// be seen, as TS #39 §5.4 advises refusing: the same mark twice in a row,
// or a dot above among the marks of a letter that has a dot already ("i̇"),
// in s decomposed ("é" is "e" and U+0301, so "é\u0301" holds two).
func hiddenMark(s string) bool {
	prev, softDotted := rune(-1), false
	for _, r := range norm.NFD.String(s) {
		mark := unicode.Is(unicode.Mn, r)
		if mark && r == prev || r == '\u0307' && softDotted {
			return true
		}
		if !mark {
			softDotted = unicode.Is(unicode.Soft_Dotted, r)
		}
		prev = r
	}
	return false
}

// scriptCombos are the sets of scripts that TS #39's Highly Restrictive
// level lets one name mix: Latin with Japanese, Chinese or Korean writing.
var scriptCombos = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// checkScripts refuses a name that mixes scripts beyond scriptCombos, or
// decimal digits of more than one numbering system.
func checkScripts(s string) error {
	var scripts []string
	zero := rune(-1)
	for _, r := range s {
		if unicode.IsDigit(r) {
			z := digitZero(r)
			if zero >= 0 && z != zero {
				return fmt.Errorf("%w: mixes digits of different numbering systems", ErrInvalidUsername)
			}
			zero = z
		}
		sc := scriptOf(r)
		switch {
		case sc == "":
			return fmt.Errorf("%w: a character of no known script", ErrInvalidUsername)
		case sc == "Common" || sc == "Inherited" || slices.Contains(scripts, sc):
		default:
			scripts = append(scripts, sc)
		}
	}
	if len(scripts) <= 1 {
		return nil
	}
	for _, combo := range scriptCombos {
		if !slices.ContainsFunc(scripts, func(sc string) bool { return !slices.Contains(combo, sc) }) {
			return nil
		}
	}
	return fmt.Errorf("%w: mixes the scripts %s", ErrInvalidUsername, strings.Join(scripts, ", "))
}

// frequentScripts are tried first; any other script is found in
// unicode.Scripts.
var frequentScripts = []string{"Latin", "Common", "Inherited", "Han", "Cyrillic", "Greek", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew"}

// scriptOf returns the name of r's script in the unicode package, or ""
// if the package knows none (r is unassigned in its Unicode version).
func scriptOf(r rune) string {
	for _, name := range frequentScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// digitZero returns the digit zero of the numbering system of r, a decimal
// digit (Nd). Unicode encodes every such system as ten contiguous code
// points from 0 to 9, so a range of unicode.Nd is whole systems end to end.
func digitZero(r rune) rune {
	for _, rg := range unicode.Nd.R16 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); lo <= r && r <= hi {
			return lo + (r-lo)/10*10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); lo <= r && r <= hi {
			return lo + (r-lo)/10*10
		}
	}
	return r
}
