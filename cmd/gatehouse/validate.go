package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"

	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/session"
)

// A settingRule is one rule of one setting of `gatehouse serve`
// (docs/configuration.md lists them). check returns nil when o obeys it,
// or the rule it breaks, worded to follow the flag and its value:
// "--access-ttl -5m0s: must be positive". A check may return a badItem to
// name the one item of a list that breaks it.
type settingRule struct {
	flag  string
	check func(o *serveOptions, given func(string) bool) error
}

// badItem is the item of a list setting that breaks a rule.
type badItem struct {
	item string
	why  string
}

func (e *badItem) Error() string { return e.why }

// serveRules are checked in order, before anything is opened or listened
// on; the first broken one is the error. A new flag adds its rules here,
// or its reason to have none to flagsWithoutRules
// (TestEveryServeFlagHasARuleOrAReasonForNone).
var serveRules = []settingRule{
	{"db", func(o *serveOptions, _ func(string) bool) error { return checkDSN(o.db) }},
	{"addr", func(o *serveOptions, _ func(string) bool) error {
		if _, _, err := net.SplitHostPort(o.addr); err != nil {
			return errors.New("want host:port, e.g. 127.0.0.1:8080 or :8080")
		}
		return nil
	}},
	{"issuer", func(o *serveOptions, given func(string) bool) error {
		if o.issuer == "" && !given("issuer") {
			return nil // "http://" + the listen address
		}
		return checkIssuer(o.issuer)
	}},
	{"audience", func(o *serveOptions, given func(string) bool) error {
		if given("audience") && strings.TrimSpace(o.audience) == "" {
			return errors.New("must not be empty (leave it out to use the issuer)")
		}
		if o.audience != strings.TrimSpace(o.audience) {
			return errors.New("must not begin or end with white space")
		}
		return nil
	}},
	{"access-ttl", positive(func(o *serveOptions) time.Duration { return o.accessTTL })},
	{"refresh-idle-ttl", positive(func(o *serveOptions) time.Duration { return o.idleTTL })},
	{"session-max-age", positive(func(o *serveOptions) time.Duration { return o.maxAge })},
	{"refresh-idle-ttl", atMostFlag(func(o *serveOptions) (time.Duration, time.Duration) { return o.idleTTL, o.maxAge }, "session-max-age")},
	{"reuse-grace", positive(func(o *serveOptions) time.Duration { return o.grace })},
	{"reuse-grace", atMostFlag(func(o *serveOptions) (time.Duration, time.Duration) { return o.grace, o.accessTTL }, "access-ttl")},
	{"reuse-grace", func(o *serveOptions, _ func(string) bool) error {
		if o.grace > session.MaxGrace {
			return fmt.Errorf("must not exceed %v (a retry window, not a second lifetime)", session.MaxGrace)
		}
		return nil
	}},
	{"alg", func(o *serveOptions, _ func(string) bool) error {
		if _, err := parseAlg(o.alg); err != nil {
			return errors.New("want ES256, EdDSA or RS256")
		}
		return nil
	}},
	{"key-rotation", func(o *serveOptions, _ func(string) bool) error {
		if o.keyRotation < 0 {
			return errors.New("must not be negative (0 turns scheduled rotation off)")
		}
		return nil
	}},
	{"jwks-max-age", positive(func(o *serveOptions) time.Duration { return o.jwksMaxAge })},
	{"jwks-max-age", func(o *serveOptions, _ func(string) bool) error {
		if o.jwksMaxAge > session.MaxJWKSMaxAge {
			return fmt.Errorf("must not exceed %v", session.MaxJWKSMaxAge)
		}
		return nil
	}},
	{"redis", func(o *serveOptions, _ func(string) bool) error {
		if o.redis == "" {
			return nil
		}
		if _, err := redis.ParseURL(o.redis); err != nil {
			return errors.New("want redis://[user:password@]host:port[/db] or rediss://…")
		}
		return nil
	}},
	{"trusted-proxies", func(o *serveOptions, _ func(string) bool) error {
		for _, s := range splitList(o.trustedProxies) {
			if _, err := parsePrefixes([]string{s}); err != nil {
				return &badItem{s, "neither a CIDR nor an address"}
			}
		}
		return nil
	}},
	{"log-format", func(o *serveOptions, _ func(string) bool) error {
		if o.logFormat != "text" && o.logFormat != "json" {
			return errors.New("want text or json")
		}
		return nil
	}},
	{"shutdown-timeout", positive(func(o *serveOptions) time.Duration { return o.shutdownTimeout })},
	{"db-timeout", positive(func(o *serveOptions) time.Duration { return o.fail.dbTimeout })},
	{"drain-delay", func(o *serveOptions, _ func(string) bool) error {
		if o.fail.drainDelay < 0 {
			return errors.New("must not be negative")
		}
		return nil
	}},
	{"retain-ended-sessions", positive(func(o *serveOptions) time.Duration { return time.Duration(o.retention.endedSessions) })},
	{"retain-events", func(o *serveOptions, _ func(string) bool) error {
		if o.retention.events < 0 {
			return errors.New("must be 0 (keep for ever) or positive")
		}
		return nil
	}},
	{"housekeeping-interval", positive(func(o *serveOptions) time.Duration { return o.retention.every })},
	{"dev-cookies", func(o *serveOptions, given func(string) bool) error {
		// An issuer left out is the stored one or derived from --addr:
		// the server checks it once it knows it.
		if !o.devCookies || !given("issuer") {
			return nil
		}
		return httpapi.CheckDevCookiesIssuer(o.issuer)
	}},
	{"redis-prefix", func(o *serveOptions, _ func(string) bool) error {
		if o.redisPrefix == "" {
			return errors.New("must not be empty (the throttle's keys would mix with every other key of the Redis)")
		}
		return nil
	}},
	{"metrics-addr", func(o *serveOptions, _ func(string) bool) error {
		if o.metrics.addr == "" {
			return nil
		}
		_, port, err := net.SplitHostPort(o.metrics.addr)
		if err != nil {
			return errors.New("want host:port, e.g. 127.0.0.1:9090")
		}
		// Port 0 is a free port, another for each listener.
		if o.metrics.addr == o.addr && port != "0" {
			return errors.New("must differ from --addr (a separate listener)")
		}
		return nil
	}},
	{"pprof", func(o *serveOptions, _ func(string) bool) error {
		if o.metrics.pprof && o.metrics.addr == "" {
			return errors.New("needs --metrics-addr: profiles are served only on the separate metrics listener, never on --addr")
		}
		return nil
	}},
	{"cors-origins", func(o *serveOptions, _ func(string) bool) error {
		for _, s := range splitList(o.corsOrigins) {
			if err := httpapi.CheckOrigin(s); err != nil {
				return &badItem{s, err.Error()}
			}
		}
		return nil
	}},
}

// flagsWithoutRules are the serve flags with nothing to check before the
// start, and why.
var flagsWithoutRules = map[string]string{
	"config":                  "read before the rules; its own errors name the file and line",
	"key-encryption-key-file": "read when the store is opened; its errors name the file",
	"preferred-username":      "a switch",
	"signup":                  "a switch",
}

// validateServe checks o against serveRules and returns the first broken
// rule as one line naming the flag, its value and the rule. flags are the
// serve command's (for the values as given); a secret in a value is
// masked.
func validateServe(o *serveOptions, flags *pflag.FlagSet) error {
	for _, r := range serveRules {
		err := r.check(o, flags.Changed)
		if err == nil {
			continue
		}
		var value string
		if bi, ok := err.(*badItem); ok {
			value = fmt.Sprintf("%q", maskValue(r.flag, bi.item))
		} else {
			value = displayValue(flags.Lookup(r.flag))
		}
		return fmt.Errorf("--%s %s: %v", r.flag, value, err)
	}
	return nil
}

// displayValue is a flag's value as an error or the log shows it: a
// duration or a number as is, a string quoted, a list as its items; secrets
// masked.
func displayValue(f *pflag.Flag) string {
	if f == nil {
		return ""
	}
	switch f.Value.Type() {
	case "string":
		return fmt.Sprintf("%q", maskValue(f.Name, f.Value.String()))
	case "stringSlice", "stringArray":
		items := splitList(f.Value.(pflag.SliceValue).GetSlice())
		for i := range items {
			items[i] = maskValue(f.Name, items[i])
		}
		return fmt.Sprintf("%q", items)
	default:
		return f.Value.String()
	}
}

// positive is the rule "must be positive" on a duration.
func positive(get func(*serveOptions) time.Duration) func(*serveOptions, func(string) bool) error {
	return func(o *serveOptions, _ func(string) bool) error {
		if get(o) <= 0 {
			return errors.New("must be positive")
		}
		return nil
	}
}

// atMostFlag is the rule "must not exceed --other": get returns the
// setting's value and the other's.
func atMostFlag(get func(*serveOptions) (time.Duration, time.Duration), other string) func(*serveOptions, func(string) bool) error {
	return func(o *serveOptions, _ func(string) bool) error {
		if v, limit := get(o); v > limit {
			return fmt.Errorf("must not exceed --%s (%v)", other, limit)
		}
		return nil
	}
}

// checkIssuer is the rule of --issuer: an absolute http or https URL with
// a host and nothing after the path (RFC 8414 §2: no query, no fragment).
func checkIssuer(s string) error {
	const rule = "must be an absolute http(s) URL with a host and no query or fragment"
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(s, "#") {
		return errors.New(rule)
	}
	return nil
}

// checkDSN is the rule of --db: sqlite:PATH or a postgres:// URL.
func checkDSN(dsn string) error {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		if strings.TrimPrefix(dsn, "sqlite:") == "" {
			return errors.New("sqlite: needs a path, e.g. sqlite:gatehouse.db")
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return errors.New("not a valid postgres:// URL")
		}
	default:
		return errors.New("want sqlite:PATH or postgres://…")
	}
	return nil
}
