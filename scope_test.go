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
