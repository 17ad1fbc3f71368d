package account

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/secure/bidirule"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/bidi"
)

// canonicalOK fails t unless s has canonical form want, and that form is
// its own canonical form.
func canonicalOK(t *testing.T, s, want string) {
	t.Helper()
	got, err := CanonicalUsername(s)
	if err != nil || got != want {
		t.Fatalf("CanonicalUsername(%+q) = %+q, %v; want %+q", s, got, err, want)
	}
	again, err := CanonicalUsername(got)
	if err != nil || again != got {
		t.Fatalf("not idempotent: %+q → %+q → %+q, %v", s, got, again, err)
	}
}

func TestVariantsOfANameAreOneAccount(t *testing.T) {
	cases := []struct {
		name     string
		variants []string
		want     string
	}{
		{"case", []string{"ALICE", "Alice", "alice", "aLiCe"}, "alice"},
		{"full-width letters", []string{"ａｌｉｃｅ", "ＡＬＩＣＥ", "Ａlice"}, "alice"},
		{"half-width katakana", []string{"ｶﾞ", "ガ", "カ\u3099"}, "ガ"},
		{"é composed (NFC) or decomposed (NFD), in either case", []string{"jos\u00e9", "jose\u0301", "JOS\u00c9", "JOSE\u0301"}, "jos\u00e9"},
		{"Kelvin sign for K", []string{"\u212aim", "Kim"}, "kim"},
		{"Ångström sign for Å", []string{"\u212bsa", "\u00c5sa", "A\u030asa"}, "\u00e5sa"},
		// The x/text profile lower-cases Σ to σ everywhere (it turns
		// Unicode's final-sigma rule off) and leaves ς alone, so on its own
		// "ΟΔΥΣΣΕΥΣ" and "οδυσσευς" would be two names. Mapping ς to σ
		// first makes them one, as they were under httpapi.
		{"Greek final and medial sigma", []string{"ΟΔΥΣΣΕΥΣ", "Οδυσσευς", "οδυσσευς", "οδυσσευσ"}, "οδυσσευσ"},
		// Lower-casing (not case folding) maps capital ẞ to ß and leaves ß
		// alone: "straße" and "strasse" stay two names, as a German reader
		// would have them, and as httpapi had them.
		{"German sharp s, small and capital", []string{"STRAẞE", "Straße", "straße"}, "straße"},
		{"ss is not ß", []string{"STRASSE", "strasse"}, "strasse"},
		// The profile alone gives "i̇" (i and U+0307) for İ and keeps ı,
		// which would make look-alikes of "alice"; both map to i first.
		{"capital I with a dot, and dotless ı", []string{"ALİCE", "alıce", "ALICE"}, "alice"},
		{"userparts are mapped one by one", []string{"Jane Doe", "JANE DOE", "ｊａｎｅ ｄｏｅ"}, "jane doe"},
		{"Cyrillic case", []string{"АЛИСА", "Алиса"}, "алиса"},
		{"Georgian Mtavruli is upper case", []string{"ᲜᲘᲜᲝ", "ნინო"}, "ნინო"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range tc.variants {
				canonicalOK(t, v, tc.want)
			}
		})
	}
}

func TestNamesAccepted(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"ASCII letters and digits", "alice42", "alice42"},
		{"a digit first", "2pac", "2pac"},
		{"digits only", "1234", "1234"},
		{"dot, hyphen and underscore", "j.doe-smith_2", "j.doe-smith_2"},
		{"an email address", "Alice@Example.com", "alice@example.com"},
		{"an email address with an accent", "José@example.com", "josé@example.com"},
		{"other ASCII punctuation and symbols", "a+b!c#d$e%f&g'h*i=j?k^l`m{n|o}p~q", "a+b!c#d$e%f&g'h*i=j?k^l`m{n|o}p~q"},
		{"two userparts", "Jane Doe", "jane doe"},
		{"three userparts", "Jean Paul Sartre", "jean paul sartre"},
		{"Latin with accents", "Müller", "müller"},
		{"Latin with an accent and a digit first (no Bidi Rule for LTR names)", "1josé", "1josé"},
		{"Latin with an accent and a dot last (no Bidi Rule for LTR names)", "josé.", "josé."},
		{"Vietnamese, two marks on one letter", "Nguyễn", "nguyễn"},
		{"Turkish letters (ı becomes i)", "Çağrı Şen", "çağri şen"},
		{"all Cyrillic", "алиса", "алиса"},
		{"all Greek", "Σωκράτης", "σωκράτησ"},
		{"Han", "山田", "山田"},
		{"Hiragana", "やまだ", "やまだ"},
		{"Katakana with the prolonged sound mark", "ヤマダー", "ヤマダー"},
		{"Latin and Han", "tanaka太郎", "tanaka太郎"},
		{"Latin, Han, Hiragana and Katakana", "Tanaka太郎やまだカタカナ", "tanaka太郎やまだカタカナ"},
		{"Latin, Han and Bopomofo", "li李ㄌㄧ", "li李ㄌㄧ"},
		{"Hangul", "김민준", "김민준"},
		{"Latin, Han and Hangul", "kim金민준", "kim金민준"},
		{"Hebrew", "מיכל", "מיכל"},
		{"Arabic", "علي", "علي"},
		{"Arabic with Arabic-Indic digits", "علي١٢", "علي١٢"},
		{"Arabic with ASCII digits", "علي12", "علي12"},
		{"Devanagari with its digits", "राम१२", "राम१२"},
		{"Thai", "สมชาย", "สมชาย"},
		{"64 ASCII letters", strings.Repeat("a", 64), strings.Repeat("a", 64)},
		{"64 runes of two bytes", strings.Repeat("é", 64), strings.Repeat("é", 64)},
		{"64 runes of three bytes", strings.Repeat("山", 64), strings.Repeat("山", 64)},
		{"64 runes once é is composed (NFD is longer)", strings.Repeat("e\u0301", 64), strings.Repeat("é", 64)},
		{"64 runes with spaces", strings.Repeat("abc ", 15) + "abc", strings.Repeat("abc ", 15) + "abc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { canonicalOK(t, tc.in, tc.want) })
	}
}

func TestNamesRefused(t *testing.T) {
	cases := []struct{ name, in string }{
		// Mixed scripts (TS #39, Highly Restrictive).
		{"a Cyrillic а among Latin letters", "\u0430lice"},
		{"a Greek α among Latin letters", "\u03b1lice"},
		{"a Greek ο among Latin letters", "g\u03bfogle"},
		{"a Latin a among Cyrillic letters", "aлиса"},
		{"Cyrillic and Latin in different userparts", "алиса smith"},
		{"Hangul and Hiragana", "김やまだ"},
		{"Hangul and Bopomofo", "김ㄌㄧ"},
		{"Hebrew and Arabic", "מיכל علي"},
		{"Cyrillic and Han", "алиса山田"},
		{"a Devanagari digit in a Latin name", "alice१"},
		// Mixed numbering systems (TS #39 §5.3).
		{"ASCII and Devanagari digits", "राम1१"},
		{"ASCII and Thai digits", "๑1"},
		{"ASCII and Arabic-Indic digits", "علي1١"},
		{"Arabic-Indic and Extended Arabic-Indic digits in two userparts", "علي١ ۱"},
		// Invisible and format characters.
		{"a zero-width space", "al\u200bice"},
		{"a zero-width non-joiner", "al\u200cice"},
		{"a zero-width joiner", "al\u200dice"},
		{"a word joiner", "alice\u2060"},
		{"a byte order mark in front", "\ufeffalice"},
		{"a soft hyphen", "ali\u00adce"},
		{"a right-to-left override", "\u202ealice"},
		{"a left-to-right mark", "alice\u200e"},
		{"a right-to-left isolate", "\u2067alice"},
		{"a variation selector", "alice\ufe0f"},
		{"a Mongolian vowel separator", "alice\u180e"},
		{"a Hangul filler", "alice\u3164"},
		{"a combining grapheme joiner", "alice\u034f"},
		{"a tag character", "alice\U000e0041"},
		// Marks that add nothing to be seen (TS #39 §5.4).
		{"a combining mark first", "\u0301alice"},
		{"a dot above on i", "ali\u0307ce"},
		{"a dot above on j", "j\u0307ane"},
		{"one accent twice", "jose\u0301\u0301"},
		// Controls, private use, unassigned, not UTF-8.
		{"a NUL", "alice\x00"},
		{"a tab", "ali\tce"},
		{"a trailing newline", "alice\n"},
		{"DEL", "alice\x7f"},
		{"a C1 control (NEL)", "alice\u0085"},
		{"a private-use character", "alice\ue000"},
		{"a supplementary private-use character", "alice\U000f0000"},
		{"an unassigned code point", "alice\u0378"},
		{"a noncharacter", "alice\uffff"},
		{"invalid UTF-8", "al\xffice"},
		{"an encoded surrogate", "al\xed\xa0\x80ice"},
		// Spaces.
		{"empty", ""},
		{"a space only", " "},
		{"a leading space", " alice"},
		{"a trailing space", "alice "},
		{"two spaces in a row", "jane  doe"},
		{"a no-break space", "jane\u00a0doe"},
		{"an ideographic space (full-width space)", "jane\u3000doe"},
		{"an en space", "jane\u2002doe"},
		{"a line separator", "alice\u2028"},
		// Compatibility characters: the profile refuses them where NFKC
		// (httpapi) mapped them to plain letters.
		{"the ligature ﬁ", "ﬁona"},
		{"a Roman numeral", "louis\u2168"},
		{"a superscript digit", "x\u00b2"},
		{"a circled digit", "\u2460alice"},
		{"a title-case digraph", "\u01c5ukic"},
		// Symbols and punctuation outside ASCII.
		{"an emoji", "alice\U0001f600"},
		{"a copyright sign", "alice\u00a9"},
		{"a middle dot outside Catalan l·l", "a\u00b7b"},
		// The Bidi Rule, in names with right-to-left characters.
		{"a right-to-left name beginning with a digit", "1علي"},
		{"Arabic-Indic digits alone", "١٢٣"},
		// Lengths.
		{"65 runes", strings.Repeat("a", 65)},
		{"65 runes of two bytes", strings.Repeat("é", 65)},
		{"65 runes with spaces", strings.Repeat("abc ", 16) + "a"},
		{"more than 1,024 bytes", strings.Repeat("a", 1025)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalUsername(tc.in)
			if !errors.Is(err, ErrInvalidUsername) || got != "" {
				t.Fatalf("CanonicalUsername(%+q) = %+q, %v; want ErrInvalidUsername", tc.in, got, err)
			}
		})
	}
}

// TestPRECISProfileAlone pins down what golang.org/x/text's
// UsernameCaseMapped does on its own, the behaviour CanonicalUsername
// documents and corrects. If x/text changes, this says where.
func TestPRECISProfileAlone(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"keeps final ς", "οδυσσευς", "οδυσσευς", true},
		{"lower-cases Σ to σ even at the end", "ΟΔΥΣΣΕΥΣ", "οδυσσευσ", true},
		{"maps ẞ to ß", "ẞ", "ß", true},
		{"keeps ß", "ß", "ß", true},
		{"maps İ to i and a combining dot", "İ", "i\u0307", true},
		{"keeps dotless ı", "ı", "ı", true},
		{"maps full-width letters", "ＡＬＩＣＥ", "alice", true},
		{"composes NFD", "jose\u0301", "jos\u00e9", true},
		{"refuses the ligature ﬁ", "ﬁ", "", false},
		{"refuses a space", "jane doe", "", false},
		{"accepts the empty string", "", "", true},
		{"applies the Bidi Rule to a left-to-right non-ASCII name", "1josé", "", false},
		{"does not apply it to an ASCII name", "1jose", "1jose", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := precis.UsernameCaseMapped.String(tc.in)
			if got != tc.want || (err == nil) != tc.ok {
				t.Fatalf("UsernameCaseMapped.String(%+q) = %+q, %v; want %+q, accepted %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

// TestCanonicalFormIsAPRECISForm checks that every canonical name is left
// as it is by UsernameCaseMapped, userpart by userpart, except that the
// profile refuses some left-to-right names under the Bidi Rule, which
// RFC 8265 applies only to right-to-left names.
func TestCanonicalFormIsAPRECISForm(t *testing.T) {
	for _, in := range []string{
		"alice", "jane doe", "josé", "οδυσσευσ", "straße", "алиса", "山田", "tanaka太郎", "김민준",
		"מיכל", "علي١٢", "राम१२", "1josé", "josé.", "ガ", "nguyễn", "alice@example.com",
	} {
		c, err := CanonicalUsername(in)
		if err != nil {
			t.Fatalf("CanonicalUsername(%+q): %v", in, err)
		}
		for _, part := range strings.Split(c, " ") {
			p, err := precis.UsernameCaseMapped.String(part)
			switch {
			case errors.Is(err, bidirule.ErrInvalid) && bidirule.DirectionString(part) == bidi.LeftToRight:
			case err != nil || p != part:
				t.Errorf("UsernameCaseMapped.String(%+q) = %+q, %v; want it unchanged", part, p, err)
			}
		}
	}
}

func TestDigitZero(t *testing.T) {
	for _, tc := range []struct{ digit, zero rune }{
		{'0', '0'}, {'7', '0'}, {'\u0669', '\u0660'}, {'\u06f1', '\u06f0'}, {'\u0967', '\u0966'},
		// Five systems of mathematical digits lie end to end.
		{'\U0001d7ce', '\U0001d7ce'}, {'\U0001d7d7', '\U0001d7ce'}, {'\U0001d7d8', '\U0001d7d8'}, {'\U0001d7ff', '\U0001d7f6'},
	} {
		if got := digitZero(tc.digit); got != tc.zero {
			t.Errorf("digitZero(%U) = %U, want %U", tc.digit, got, tc.zero)
		}
	}
	// Every decimal digit has a zero within nine code points below it, and
	// the ten code points from that zero are all digits.
	for _, rg := range append(rangesOf(unicode.Nd.R16), rangesOf32(unicode.Nd.R32)...) {
		for r := rg[0]; r <= rg[1]; r++ {
			z := digitZero(r)
			if r-z < 0 || r-z > 9 {
				t.Fatalf("digitZero(%U) = %U", r, z)
			}
			for d := z; d < z+10; d++ {
				if !unicode.IsDigit(d) {
					t.Fatalf("digitZero(%U) = %U, but %U is no digit", r, z, d)
				}
			}
		}
	}
}

func rangesOf(rs []unicode.Range16) (out [][2]rune) {
	for _, r := range rs {
		out = append(out, [2]rune{rune(r.Lo), rune(r.Hi)})
	}
	return out
}

func rangesOf32(rs []unicode.Range32) (out [][2]rune) {
	for _, r := range rs {
		out = append(out, [2]rune{rune(r.Lo), rune(r.Hi)})
	}
	return out
}
