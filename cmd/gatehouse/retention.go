package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/gatehouse/gatehouse/session"
)

// retentionOptions are the flags of `gatehouse serve` that bound how much
// the database keeps (docs/operations.md).
type retentionOptions struct {
	endedSessions days
	events        days
	every         time.Duration
}

// addRetentionFlags adds the retention flags to f.
func addRetentionFlags(f *pflag.FlagSet, o *retentionOptions) {
	o.endedSessions = days(session.DefaultRetention.EndedSessions)
	o.events = days(session.DefaultRetention.Events)
	f.Var(&o.endedSessions, "retain-ended-sessions", "how long ended sessions (expired, idle, revoked) are kept, with their refresh tokens, "+
		"before housekeeping deletes them; a duration, where d is 24h (e.g. 7d, 36h)")
	f.Var(&o.events, "retain-events", "how long audit events are kept; a duration, where d is 24h (e.g. 90d); 0 keeps them for ever")
	f.DurationVar(&o.every, "housekeeping-interval", time.Minute, "how often housekeeping purges what the retention lets go, "+
		"in batches of short transactions")
}

// retention returns the sessions' retention and the housekeeping
// interval; their rules are in serveRules (validate.go).
func (o *retentionOptions) retention() (session.Retention, time.Duration) {
	return session.Retention{EndedSessions: time.Duration(o.endedSessions), Events: time.Duration(o.events)}, o.every
}

// days is a duration flag that also takes days: "90d", "1d12h", or any Go
// duration ("36h", "90m"). Go's durations stop at hours because a day is
// not always 24 hours; for a retention it is.
type days time.Duration

func (d *days) String() string {
	v := time.Duration(*d)
	if v != 0 && v%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v/(24*time.Hour)), 10) + "d"
	}
	return v.String()
}

func (d *days) Type() string { return "duration" }

func (d *days) Set(s string) error {
	v, err := parseDays(s)
	if err != nil {
		return err
	}
	*d = days(v)
	return nil
}

// parseDays reads a Go duration that may start with a whole number of
// days: "90d", "1d12h", "36h", "0".
func parseDays(s string) (time.Duration, error) {
	invalid := errors.New(`want a duration such as 90d, 36h or 1d12h`)
	var total time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil || n > 100*365 {
			return 0, invalid
		}
		total = time.Duration(n) * 24 * time.Hour
		rest = s[i+1:]
		if rest == "" {
			return total, nil
		}
	}
	v, err := time.ParseDuration(rest)
	if err != nil || (total > 0 && v < 0) {
		return 0, invalid
	}
	return total + v, nil
}
