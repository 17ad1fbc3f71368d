package main

import (
	"log/slog"
	"net/url"
	"strings"

	"github.com/spf13/pflag"
)

// settingsAttrs are the effective settings of `gatehouse serve` for its
// start-up log line: one group per flag with the value and where it came
// from (flag, env, file or default), secrets masked. effective replaces
// the value of a setting whose default is worked out at start (the issuer
// from the listen address, the key policy stored in the database).
func (c *cli) settingsAttrs(flags *pflag.FlagSet, effective map[string]any) []any {
	var attrs []any
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		src := c.source(f.Name)
		value := logValue(f)
		if v, ok := effective[f.Name]; ok && src == sourceDefault {
			value, src = v, "default (stored or derived)"
		}
		attrs = append(attrs, slog.Group(f.Name, "value", value, "source", src))
	})
	return attrs
}

// logValue is a flag's value for the log: a list as its items, the rest
// as the flag prints it; secrets masked.
func logValue(f *pflag.Flag) any {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		items := splitList(sv.GetSlice())
		for i := range items {
			items[i] = maskValue(f.Name, items[i])
		}
		if items == nil {
			items = []string{}
		}
		return items
	}
	return maskValue(f.Name, f.Value.String())
}

// maskValue hides the secret in the value of flag name, for logs and
// errors: all of it when the name says it is a secret (a password, a
// token, a client secret or a key itself, but not a key's file or a key
// policy), and the password of a URL (a PostgreSQL or Redis URL).
func maskValue(name, value string) string {
	if value == "" {
		return value
	}
	if secretName(name) {
		return "[redacted]"
	}
	if u, err := url.Parse(value); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
	} else if err != nil && strings.Contains(value, "@") && strings.Contains(value, "://") {
		return "(unparsable URL, hidden)"
	}
	return value
}

// secretName reports whether a flag named name holds a secret itself.
func secretName(name string) bool {
	for _, w := range []string{"secret", "password", "token"} {
		if strings.Contains(name, w) && !strings.HasSuffix(name, "-file") {
			return true
		}
	}
	return strings.HasSuffix(name, "-key") || name == "key"
}
