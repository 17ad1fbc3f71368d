package sqlite

import (
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// Conversions between Go values and the columns' forms. Times are INTEGER
// microseconds since the Unix epoch: sub-microsecond parts are dropped, and
// every time is read back in UTC.

// micros is the column form of t.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the time of a column value, in UTC.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros is NULL for the zero time (not rotated, not revoked, not
// retired), else the column form of t.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromNullMicros is the zero time for NULL.
func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// joinScopes is the TEXT column form of a scope list.
func joinScopes(scopes []string) string { return strings.Join(scopes, " ") }

// splitScopes is the scope list of a TEXT column; nil when empty.
func splitScopes(s string) []string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return nil
	}
	return f
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// joinClaims is the TEXT column form of custom claims: a JSON object, "{}"
// for none.
func joinClaims(c map[string]json.RawMessage) (string, error) {
	if len(c) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(c)
	return string(b), err
}

// splitClaims is the custom claims of a TEXT column; nil for none.
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
