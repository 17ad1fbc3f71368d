package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestDBTimeoutAndDrainDelayHaveDefaultsAndEnvTwins(t *testing.T) {
	serve, err := serveFlags(t, map[string]string{"GATEHOUSE_DRAIN_DELAY": "2s"})
	if err != nil {
		t.Fatal(err)
	}
	if got := serve.Flags().Lookup("db-timeout").Value.String(); got != "5s" {
		t.Errorf("--db-timeout default %s, want 5s", got)
	}
	if got := serve.Flags().Lookup("drain-delay").Value.String(); got != "2s" {
		t.Errorf("--drain-delay %s from GATEHOUSE_DRAIN_DELAY=2s", got)
	}
}

func TestInvalidDBTimeoutOrDrainDelayIsRefusedAtStart(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--db-timeout", "-1s"}, "--db-timeout -1s: must be positive"},
		{[]string{"--db-timeout", "0s"}, "--db-timeout 0s: must be positive"},
		{[]string{"--drain-delay", "-1s"}, "--drain-delay -1s: must not be negative"},
	} {
		db := filepath.Join(t.TempDir(), "gatehouse.db")
		_, _, err := run(t, nil, "", append([]string{"serve", "--db", "sqlite:" + db, "--addr", "127.0.0.1:0"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %v: %v, want %q", c.args, err, c.want)
		}
	}
}

func TestRedisCallsAreBoundedUnlessTheURLSaysOtherwise(t *testing.T) {
	opt, err := redis.ParseURL("redis://127.0.0.1:6379/0")
	if err != nil {
		t.Fatal(err)
	}
	boundRedis(opt)
	for name, d := range map[string]time.Duration{"dial": opt.DialTimeout, "read": opt.ReadTimeout, "write": opt.WriteTimeout, "pool": opt.PoolTimeout} {
		if d != redisCallTimeout {
			t.Errorf("%s timeout %v, want %v", name, d, redisCallTimeout)
		}
	}
	if !opt.ContextTimeoutEnabled || opt.DialerRetries != 1 {
		t.Errorf("ContextTimeoutEnabled %v, DialerRetries %d; want true, 1", opt.ContextTimeoutEnabled, opt.DialerRetries)
	}
	opt, err = redis.ParseURL("redis://127.0.0.1:6379/0?read_timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	boundRedis(opt)
	if opt.ReadTimeout != 2*time.Second {
		t.Errorf("read timeout %v, want the URL's 2s", opt.ReadTimeout)
	}
}

func TestRedisClientLogsGoThroughTheServersLogger(t *testing.T) {
	var buf bytes.Buffer
	redisLogger{slog.New(slog.NewJSONHandler(&buf, nil))}.Printf(context.Background(), "redis: dial %s: %v", "127.0.0.1:1", "refused")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not a JSON line: %q", buf.String())
	}
	if line["msg"] != "redis: dial 127.0.0.1:1: refused" || line["component"] != "redis" {
		t.Errorf("line %v", line)
	}
}
