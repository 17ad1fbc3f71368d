package sqlite

import (
	"database/sql"
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
