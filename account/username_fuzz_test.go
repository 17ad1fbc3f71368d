package account

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func FuzzCanonicalUsername(f *testing.F) {
	for _, s := range []string{
		"alice", "ＡＬＩＣＥ", "jose\u0301", "ΟΔΥΣΣΕΥΣ", "οδυσσευς", "ẞ", "ß", "ﬁ", "ALİCE", "alıce", "\u212aim",
		"Jane Doe", "jane  doe", " alice", "alice@example.com", "\u0430lice", "алиса", "tanaka太郎やまだ",
		"kim金민준", "li李ㄌㄧ", "علي١٢", "علي1١", "राम1१", "1josé", "\u0301a", "ali\u0307ce", "ǅ", "\u0345",
		"ｶﾞ", "al\u200bice", "\u202ealice", "a\u00a0b", "a\u3000b", "al\xffice", strings.Repeat("a", 64),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalUsername(s)
		if err != nil {
			if c != "" || !errors.Is(err, ErrInvalidUsername) {
				t.Fatalf("CanonicalUsername(%+q) = %+q, %v", s, c, err)
			}
			return
		}
		if !utf8.ValidString(c) || c == "" || utf8.RuneCountInString(c) > MaxUsernameRunes {
			t.Fatalf("%+q → %+q: not 1 to %d runes of UTF-8", s, c, MaxUsernameRunes)
		}
		if again, err := CanonicalUsername(c); err != nil || again != c {
			t.Fatalf("not idempotent: %+q → %+q → %+q, %v", s, c, again, err)
		}
		for _, part := range strings.Split(c, " ") {
			if part == "" {
				t.Fatalf("%+q → %+q: a space at an end or beside another", s, c)
			}
		}
		for _, r := range c {
			if r != ' ' && !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) {
				t.Fatalf("%+q → %+q holds %U", s, c, r)
			}
		}
		if scripts := scriptsIn(c); !highlyRestrictive(scripts) {
			t.Fatalf("%+q → %+q mixes %v", s, c, scripts)
		}
		zeros := map[rune]bool{}
		for _, r := range c {
			if unicode.IsDigit(r) {
				zeros[digitZero(r)] = true
			}
		}
		if len(zeros) > 1 {
			t.Fatalf("%+q → %+q mixes numbering systems", s, c)
		}
	})
}

// scriptsIn lists the scripts of s other than Common and Inherited, looked
// up the slow way, apart from the code under test.
func scriptsIn(s string) []string {
	var scripts []string
	for _, r := range s {
		for name, table := range unicode.Scripts {
			if unicode.Is(table, r) && name != "Common" && name != "Inherited" && !slices.Contains(scripts, name) {
				scripts = append(scripts, name)
			}
		}
	}
	return scripts
}

func highlyRestrictive(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, allowed := range [][]string{
		{"Latin", "Han", "Hiragana", "Katakana"},
		{"Latin", "Han", "Bopomofo"},
		{"Latin", "Han", "Hangul"},
	} {
		ok := true
		for _, sc := range scripts {
			ok = ok && slices.Contains(allowed, sc)
		}
		if ok {
			return true
		}
	}
	return false
}
