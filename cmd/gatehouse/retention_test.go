package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDays(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * 24 * time.Hour}, {"1d12h", 36 * time.Hour}, {"36h", 36 * time.Hour},
		{"90m", 90 * time.Minute}, {"0", 0}, {"0d", 0}, {"-1h", -time.Hour},
	} {
		got, err := parseDays(c.in)
		if err != nil || got != c.want {
			t.Errorf("parseDays(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "d", "-1d", "1.5d", "90days", "1d-1h", "1dd", "xd", "99999d", "1w"} {
		if got, err := parseDays(bad); err == nil {
			t.Errorf("parseDays(%q) = %v, want an error", bad, got)
		}
	}
}

func TestRetentionFlagsRefuseNonsense(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--retain-ended-sessions", "0"}, "--retain-ended-sessions 0s: must be positive"},
		{[]string{"--retain-events", "-1h"}, "--retain-events -1h0m0s: must be 0 (keep for ever) or positive"},
		{[]string{"--housekeeping-interval", "0s"}, "--housekeeping-interval 0s: must be positive"},
		{[]string{"--retain-events", "90days"}, `invalid argument "90days" for "--retain-events" flag`},
	} {
		db := "sqlite:" + filepath.Join(t.TempDir(), "gatehouse.db")
		_, stderr, err := run(t, nil, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, c.args...)...)
		if err == nil || !strings.Contains(stderr+err.Error(), c.want) {
			t.Errorf("serve %q: %v, stderr %q; want an error containing %q", c.args, err, stderr, c.want)
		}
	}
}
