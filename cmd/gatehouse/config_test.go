package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serveWithConfig is serveFlags that also returns the cli, for the sources
// of the values.
func serveWithConfig(t *testing.T, env map[string]string, args ...string) (*cli, *cobra.Command, error) {
	t.Helper()
	c := &cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, stdin: strings.NewReader(""), lookupEnv: mapLookup(env)}
	root := c.rootCmd()
	serve, _, err := root.Find([]string{"serve"})
	if err != nil {
		t.Fatal(err)
	}
	serve.RunE = func(*cobra.Command, []string) error { return nil }
	root.SetArgs(append([]string{"serve"}, args...))
	return c, serve, root.Execute()
}

func configFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := writeAll(path, content); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFilePrecedenceFlagThenEnvThenFileThenDefault(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"gatehouse.toml", `
db = "sqlite:from-file.db"
access-ttl = "20m"
reuse-grace = "5s"
refresh-idle-ttl = "48h"
signup = true
trusted-proxies = ["10.0.0.0/8", "192.0.2.1"]
cors-origins = []
`},
		{"gatehouse.yaml", `
db: sqlite:from-file.db
access-ttl: 20m
reuse-grace: 5s
refresh-idle-ttl: "48h"
signup: true
trusted-proxies:
  - 10.0.0.0/8
  - 192.0.2.1
cors-origins: []
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := configFile(t, tc.name, tc.content)
			env := map[string]string{"GATEHOUSE_CONFIG": path, "GATEHOUSE_REUSE_GRACE": "3s", "GATEHOUSE_REFRESH_IDLE_TTL": "24h"}
			c, serve, err := serveWithConfig(t, env, "--refresh-idle-ttl", "12h")
			if err != nil {
				t.Fatal(err)
			}
			f := serve.Flags()
			for name, want := range map[string]struct{ value, source string }{
				"db":               {"sqlite:from-file.db", sourceFile},
				"access-ttl":       {"20m0s", sourceFile},
				"reuse-grace":      {"3s", sourceEnv},
				"refresh-idle-ttl": {"12h0m0s", sourceFlag},
				"signup":           {"true", sourceFile},
				"trusted-proxies":  {"[10.0.0.0/8,192.0.2.1]", sourceFile},
				"cors-origins":     {"[]", sourceFile},
				"session-max-age":  {"2160h0m0s", sourceDefault},
				"config":           {path, sourceEnv},
			} {
				if got := f.Lookup(name).Value.String(); got != want.value {
					t.Errorf("--%s = %q, want %q", name, got, want.value)
				}
				if got := c.source(name); got != want.source {
					t.Errorf("--%s comes from %q, want %q", name, got, want.source)
				}
			}
			if !f.Changed("access-ttl") {
				t.Error("a value from the file does not count as given")
			}
		})
	}
}

func TestConfigFileRefusesWhatItDoesNotUnderstand(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          string // after "FILE:"
	}{
		{"typo.toml", "access-ttl = \"20m\"\n\nacess-ttl = \"5m\"\n", `3: unknown key "acess-ttl"; did you mean "access-ttl"?`},
		{"typo.yaml", "access-ttl: 20m\n\nacess-ttl: 5m\n", `3: unknown key "acess-ttl"; did you mean "access-ttl"?`},
		{"unknown.toml", "\nlisten = \"x\"\n", `2: unknown key "listen"`},
		{"type.toml", "signup = true\naccess-ttl = 15\n", `2: access-ttl: want a duration as a string, such as "15m" or "336h", got an integer`},
		{"type.yaml", "signup: true\naccess-ttl: 15\n", `2: access-ttl: want a duration as a string, such as "15m" or "336h", got an integer`},
		{"bool.toml", "signup = \"yes\"\n", `1: signup: want true or false, got a string`},
		{"bool.yaml", "signup: yes\n", `1: signup: want true or false, got a string`},
		{"list.toml", "trusted-proxies = \"10.0.0.0/8\"\n", `1: trusted-proxies: want an array of strings, got a string`},
		{"list.yaml", "cors-origins:\n  - 1\n", `1: cors-origins: want an array of strings, got an array holding an integer`},
		{"null.yaml", "issuer:\n", `1: issuer: want a string, got nothing (null)`},
		{"duration.toml", "reuse-grace = \"soon\"\n", `1: reuse-grace "soon": time: invalid duration "soon"`},
		{"dup.yaml", "signup: true\naddr: 127.0.0.1:0\nsignup: false\n", `3: duplicate key "signup" (first at line 1)`},
		{"table.toml", "signup = true\n[server]\naddr = \"x\"\n", `2: tables are not supported: every key is a flag name at the top level`},
		{"dotted.toml", "server.addr = \"x\"\n", `1: unknown key "server.addr"`},
		{"config.toml", "config = \"other.toml\"\n", `1: "config" cannot be set in a configuration file`},
		{"help.yaml", "help: true\n", `1: unknown key "help"`},
		{"syntax.yaml", "signup: true\n  addr: [\n", `2: mapping values are not allowed in this context`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := configFile(t, tc.name, tc.content)
			_, _, err := serveWithConfig(t, nil, "--config", path)
			if err == nil || err.Error() != path+":"+tc.want {
				t.Fatalf("err = %v\nwant       %s:%s", err, path, tc.want)
			}
		})
	}
	// go-toml words its own syntax and duplicate-key errors; the line is ours to check.
	for _, tc := range []struct{ name, content, line string }{
		{"dup.toml", "signup = true\naddr = \"127.0.0.1:0\"\nsignup = false\n", ":3: "},
		{"syntax.toml", "signup = true\naddr = \n", ":2: "},
	} {
		path := configFile(t, tc.name, tc.content)
		_, _, err := serveWithConfig(t, nil, "--config", path)
		if err == nil || !strings.HasPrefix(err.Error(), path+tc.line) {
			t.Errorf("%s: err = %v, want one beginning %s%s", tc.name, err, path, tc.line)
		}
	}
}

func TestConfigFileNeedsAKnownExtensionAndAFile(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{configFile(t, "gatehouse.ini", "signup = true\n"), "want a .toml, .yaml or .yml file"},
		{filepath.Join(t.TempDir(), "missing.toml"), "no such file"},
	} {
		_, _, err := serveWithConfig(t, nil, "--config", tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.path, err, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveLogs runs `gatehouse serve ARGS` in-process until it logs
// "listening", then stops it and returns its log.
func serveLogs(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	c := &cli{stdout: &bytes.Buffer{}, stderr: logs, stdin: strings.NewReader(""), lookupEnv: mapLookup(env)}
	root := c.rootCmd()
	root.SetArgs(append([]string{"serve"}, args...))
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	for !strings.Contains(logs.String(), `"msg":"listening"`) {
		select {
		case err := <-done:
			t.Fatalf("serve stopped before listening: %v\n%s", err, logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	return logs.String()
}

func TestStartUpLogListsEveryEffectiveSettingWithItsSourceAndNoSecret(t *testing.T) {
	dir := t.TempDir()
	path := configFile(t, "gatehouse.toml", `
access-ttl = "20m"
redis = "redis://:file-s3cret@127.0.0.1:6379/0"
trusted-proxies = ["10.0.0.0/8"]
`)
	env := map[string]string{"GATEHOUSE_REUSE_GRACE": "3s"}
	logs := serveLogs(t, env, "--config", path, "--db", "sqlite:"+filepath.Join(dir, "g.db"), "--addr", "127.0.0.1:0",
		"--log-format", "json", "--issuer", "http://127.0.0.1:1")
	if strings.Contains(logs, "file-s3cret") {
		t.Fatalf("the Redis password is in the log:\n%s", logs)
	}
	var settings map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "settings" {
			settings = line
		}
	}
	if settings == nil {
		t.Fatalf("no settings line:\n%s", logs)
	}
	serve, err := serveFlags(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every flag of serve, including ones added later, is on the line.
	for _, name := range flagNames(serve) {
		if _, ok := settings[name]; !ok {
			t.Errorf("the settings line lacks %s", name)
		}
	}
	for name, want := range map[string][2]string{
		"access-ttl":      {"20m0s", "file"},
		"reuse-grace":     {"3s", "env"},
		"issuer":          {"http://127.0.0.1:1", "flag"},
		"audience":        {"http://127.0.0.1:1", "default (stored or derived)"},
		"alg":             {"ES256", "default (stored or derived)"},
		"session-max-age": {"2160h0m0s", "default"},
		"redis":           {"redis://:xxxxx@127.0.0.1:6379/0", "file"},
		"trusted-proxies": {"[10.0.0.0/8]", "file"},
		"cors-origins":    {"[]", "default"},
	} {
		g, _ := settings[name].(map[string]any)
		if fmt.Sprint(g["value"]) != want[0] || g["source"] != want[1] {
			t.Errorf("%s = %v, want value %s from %s", name, g, want[0], want[1])
		}
	}
}

func flagNames(cmd *cobra.Command) []string {
	var out []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			out = append(out, f.Name)
		}
	})
	return out
}

func TestMaskValue(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"db", "postgres://gh:s3cret@db:5432/gatehouse", "postgres://gh:xxxxx@db:5432/gatehouse"},
		{"redis", "redis://:s3cret@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"client-secret", "s3cret", "[redacted]"},
		{"signing-key", "s3cret", "[redacted]"},
		{"key-encryption-key-file", "/etc/gatehouse/kek", "/etc/gatehouse/kek"},
		{"key-rotation", "720h0m0s", "720h0m0s"},
		{"db", "sqlite:gatehouse.db", "sqlite:gatehouse.db"},
	} {
		if got := maskValue(tc.name, tc.value); got != tc.want {
			t.Errorf("maskValue(%q, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
}
