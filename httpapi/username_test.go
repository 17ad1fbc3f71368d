package httpapi_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/httpapi"
)

func TestCanonicalUsername(t *testing.T) {
	cases := []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"ALICE", "alice"},
		{"ａｌｉｃｅ", "alice"},       // full width
		{"Ａｌｉｃｅ", "alice"},       // full width capital
		{"é", "é"},               // NFC
		{"e\u0301", "é"},         // NFD becomes NFC
		{"ΟΔΥΣΣΕΥΣ", "οδυσσευσ"}, // final sigma folds with medial
		{"οδυσσευς", "οδυσσευσ"},
		{"ẞ", "ß"},
		{"ﬁ", "fi"}, // ligature
		{"john smith", "john smith"},
		{"Ⅸ", "ix"}, // roman numeral
		{strings.Repeat("a", 64), strings.Repeat("a", 64)},
	}
	for _, tc := range cases {
		got, err := httpapi.CanonicalUsername(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("CanonicalUsername(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", " ", " alice", "alice ", "al  ice", "ali\u200bce", "ali\u200dce", "\u00adalice", "alice\u2028",
		"ali\tce", "alice\x00", "al\xffice", "ali\u3164ce", "alice\ufe0f", "\u202ealice", "a\u00a0b\u00a0\u00a0c",
		"\ue000", strings.Repeat("a", 65), "\u3000alice",
	} {
		if got, err := httpapi.CanonicalUsername(bad); err == nil {
			t.Errorf("CanonicalUsername(%q) = %q, want an error", bad, got)
		}
	}
}

func FuzzCanonicalUsername(f *testing.F) {
	for _, s := range []string{"alice", "ＡＬＩＣＥ", "e\u0301", "ς", "ﬁ", "İstanbul", "ǅ", "\u0345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := httpapi.CanonicalUsername(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(c) || c == "" || utf8.RuneCountInString(c) > httpapi.MaxUsernameRunes {
			t.Fatalf("%q → %q", s, c)
		}
		c2, err := httpapi.CanonicalUsername(c)
		if err != nil || c2 != c {
			t.Fatalf("not stable: %q → %q → %q, %v", s, c, c2, err)
		}
	})
}
