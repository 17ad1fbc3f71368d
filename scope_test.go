package gatehouse_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  bool
	}{
		{"empty string is the empty scope", "", nil, false},
		{"single token", "orders:read", []string{"orders:read"}, false},
		{"tokens in order", "b a c", []string{"b", "a", "c"}, false},
		{"duplicates collapse", "a b a", []string{"a", "b"}, false},
		{"doubled space is refused", "a  b", nil, true},
		{"leading space is refused", " a", nil, true},
		{"trailing space is refused", "a ", nil, true},
		{"tab is refused", "a\tb", nil, true},
		{"double quote is refused", `a"b`, nil, true},
		{"backslash is refused", `a\b`, nil, true},
		{"non-ASCII look-alike is refused", "оrders:read", nil, true}, // Cyrillic о
		{"JSON array text is just characters", `["a"]`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gatehouse.ParseScope(tt.in)
			if tt.err {
				if !errors.Is(err, gatehouse.ErrInvalidScope) {
					t.Fatalf("ParseScope(%q) err = %v, want ErrInvalidScope", tt.in, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseScope(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestScopeSubset(t *testing.T) {
	have := []string{"a", "b"}
	if !gatehouse.ScopeSubset(nil, have) || !gatehouse.ScopeSubset([]string{"b"}, have) {
		t.Error("subset refused")
	}
	if gatehouse.ScopeSubset([]string{"a", "c"}, have) {
		t.Error("superset accepted")
	}
}

func TestGrantScopes(t *testing.T) {
	user := []string{"orders:read", gatehouse.AdminScope, "orders:write"}
	cases := []struct {
		name      string
		requested []string
		want      string
		err       bool
	}{
		{"nothing requested: every scope but admin", nil, "orders:read orders:write", false},
		{"an empty request is the default too", []string{}, "orders:read orders:write", false},
		{"admin asked for by name", []string{gatehouse.AdminScope}, gatehouse.AdminScope, false},
		{"a subset", []string{"orders:write"}, "orders:write", false},
		{"a scope the user lacks", []string{"orders:read", "billing"}, "", true},
	}
	for _, c := range cases {
		got, err := gatehouse.GrantScopes(c.requested, user)
		if (err != nil) != c.err || (!c.err && gatehouse.FormatScope(got) != c.want) {
			t.Errorf("%s: GrantScopes = %q, %v", c.name, got, err)
		}
	}
	if !gatehouse.ScopesRemoved([]string{"a", "b"}, []string{"a", "c"}) || gatehouse.ScopesRemoved([]string{"a"}, []string{"a", "c"}) {
		t.Error("ScopesRemoved")
	}
	if got := gatehouse.IntersectScopes([]string{"b", "a", "c"}, []string{"a", "b"}); gatehouse.FormatScope(got) != "b a" {
		t.Errorf("IntersectScopes = %q", got)
	}
}
