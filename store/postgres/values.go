package postgres

import (
	"encoding/json"
	"strings"
	"time"
)

// Conversions between Go values and the columns' forms.

// utc is t in UTC, the form every timestamptz is written and read in.
func utc(t time.Time) time.Time { return t.UTC() }

// nullTime is NULL for the zero time (not rotated, not revoked, not
// retired), else t in UTC.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// fromNull is the zero time for NULL, else *t in UTC.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// joinScopes is the text column form of a scope list.
func joinScopes(scopes []string) string { return strings.Join(scopes, " ") }

// splitScopes is the scope list of a text column; nil when empty.
func splitScopes(s string) []string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil
	}
	return f
}

// joinClaims is the text column form of custom claims: a JSON object, "{}"
// for none.
func joinClaims(c map[string]json.RawMessage) (string, error) {
	if len(c) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// splitClaims is the custom claims of a text column; nil for none.
func splitClaims(s string) (map[string]json.RawMessage, error) {
	if s == "{}" || s == "" {
		return nil, nil
	}
	var c map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return nil, err
	}
	if len(c) == 0 {
		return nil, nil
	}
	return c, nil
}
