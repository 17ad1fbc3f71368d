package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// invalidSetting is one setting `gatehouse serve` must refuse at start,
// and the exact error line.
type invalidSetting struct {
	flag, value string
	list        bool     // a list flag: one item, an array in a file
	bare        bool     // written unquoted in a file (a bool)
	also        []string // flags given with it, from any source
	want        string
}

var invalidSettings = []invalidSetting{
	{flag: "access-ttl", value: "-5m", want: "--access-ttl -5m0s: must be positive"},
	{flag: "access-ttl", value: "0s", want: "--access-ttl 0s: must be positive"},
	{flag: "refresh-idle-ttl", value: "0s", want: "--refresh-idle-ttl 0s: must be positive"},
	{flag: "refresh-idle-ttl", value: "3000h", want: "--refresh-idle-ttl 3000h0m0s: must not exceed --session-max-age (2160h0m0s)"},
	{flag: "session-max-age", value: "-1h", want: "--session-max-age -1h0m0s: must be positive"},
	{flag: "session-max-age", value: "24h", want: "--refresh-idle-ttl 336h0m0s: must not exceed --session-max-age (24h0m0s)"},
	{flag: "reuse-grace", value: "-1s", want: "--reuse-grace -1s: must be positive"},
	{flag: "reuse-grace", value: "0s", want: "--reuse-grace 0s: must be positive"},
	{flag: "reuse-grace", value: "20m", want: "--reuse-grace 20m0s: must not exceed --access-ttl (15m0s)"},
	{flag: "reuse-grace", value: "2m", want: "--reuse-grace 2m0s: must not exceed 1m0s (a retry window, not a second lifetime)"},
	{flag: "issuer", value: "not-a-url", want: `--issuer "not-a-url": must be an absolute http(s) URL with a host and no query or fragment`},
	{flag: "issuer", value: "/relative", want: `--issuer "/relative": must be an absolute http(s) URL with a host and no query or fragment`},
	{flag: "issuer", value: "ftp://auth.example.com", want: `--issuer "ftp://auth.example.com": must be an absolute http(s) URL with a host and no query or fragment`},
	{flag: "issuer", value: "https://auth.example.com/?tenant=1", want: `--issuer "https://auth.example.com/?tenant=1": must be an absolute http(s) URL with a host and no query or fragment`},
	{flag: "issuer", value: "https://auth.example.com/#x", want: `--issuer "https://auth.example.com/#x": must be an absolute http(s) URL with a host and no query or fragment`},
	{flag: "audience", value: "  ", want: `--audience "  ": must not be empty (leave it out to use the issuer)`},
	{flag: "audience", value: " orders", want: `--audience " orders": must not begin or end with white space`},
	{flag: "key-rotation", value: "-1h", want: "--key-rotation -1h0m0s: must not be negative (0 turns scheduled rotation off)"},
	{flag: "jwks-max-age", value: "0s", want: "--jwks-max-age 0s: must be positive"},
	{flag: "jwks-max-age", value: "48h", want: "--jwks-max-age 48h0m0s: must not exceed 24h0m0s"},
	{flag: "shutdown-timeout", value: "0s", want: "--shutdown-timeout 0s: must be positive"},
	{flag: "shutdown-timeout", value: "-1s", want: "--shutdown-timeout -1s: must be positive"},
	{flag: "cors-origins", value: "*", list: true, want: `--cors-origins "*": wildcards are not allowed; list each origin`},
	{flag: "cors-origins", value: "https://app.example/", list: true, want: `--cors-origins "https://app.example/": want scheme://host[:port] and nothing else`},
	{flag: "trusted-proxies", value: "10.0.0.0/33", list: true, want: `--trusted-proxies "10.0.0.0/33": neither a CIDR nor an address`},
	{flag: "log-format", value: "xml", want: `--log-format "xml": want text or json`},
	{flag: "alg", value: "HS256", want: `--alg "HS256": want ES256, EdDSA or RS256`},
	{flag: "redis", value: "localhost:6379", want: `--redis "localhost:6379": want redis://[user:password@]host:port[/db] or rediss://…`},
	{flag: "redis", value: "redis://:hunter2@127.0.0.1:6379/nine", want: `--redis "redis://:xxxxx@127.0.0.1:6379/nine": want redis://[user:password@]host:port[/db] or rediss://…`},
	{flag: "db", value: "mysql://gatehouse", want: `--db "mysql://gatehouse": want sqlite:PATH or postgres://…`},
	{flag: "db", value: "sqlite:", want: `--db "sqlite:": sqlite: needs a path, e.g. sqlite:gatehouse.db`},
	{flag: "addr", value: "8080", want: `--addr "8080": want host:port, e.g. 127.0.0.1:8080 or :8080`},
	{flag: "metrics-addr", value: "9090", want: `--metrics-addr "9090": want host:port, e.g. 127.0.0.1:9090`},
	{flag: "metrics-addr", value: "127.0.0.1:8080", also: []string{"--addr", "127.0.0.1:8080"}, want: `--metrics-addr "127.0.0.1:8080": must differ from --addr (a separate listener)`},
	{flag: "pprof", value: "true", bare: true, want: `--pprof true: needs --metrics-addr: profiles are served only on the separate metrics listener, never on --addr`},
	{flag: "redis-prefix", value: "", want: `--redis-prefix "": must not be empty (the throttle's keys would mix with every other key of the Redis)`},
}

// refuseServe runs `gatehouse serve` with tc's setting coming from source
// (flag, env, toml, yaml) and checks the error is tc.want exactly and that
// nothing was opened: the SQLite file of the base flags is not created.
func refuseServe(t *testing.T, tc invalidSetting, source string) {
	t.Helper()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "g.db")
	base := map[string]string{"db": "sqlite:" + dbPath, "addr": "127.0.0.1:0"}
	delete(base, tc.flag)
	args := []string{"serve"}
	for k, v := range base {
		if !slices.Contains(tc.also, "--"+k) {
			args = append(args, "--"+k, v)
		}
	}
	args = append(args, tc.also...)
	env := map[string]string{}
	switch source {
	case "flag":
		args = append(args, "--"+tc.flag+"="+tc.value)
	case "flag+dev-cookies":
		args = append(args, "--"+tc.flag+"="+tc.value, "--dev-cookies")
	case "env":
		env[envName(tc.flag)] = tc.value
	case "toml", "yaml":
		v := fmt.Sprintf("%q", tc.value)
		if tc.bare {
			v = tc.value
		}
		if tc.list {
			v = "[" + v + "]"
		}
		sep := " = "
		if source == "yaml" {
			sep = ": "
		}
		file := filepath.Join(dir, "gatehouse."+source)
		if err := writeAll(file, "# refused\n"+tc.flag+sep+v+"\n"); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", file)
	}
	// A cancelled context: a server that wrongly starts stops at once,
	// and the test fails on its nil error and its database file.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errb bytes.Buffer
	c := &cli{stdout: &bytes.Buffer{}, stderr: &errb, stdin: strings.NewReader(""), lookupEnv: mapLookup(env)}
	root := c.rootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	stderr := errb.String()
	if err == nil || err.Error() != tc.want {
		t.Fatalf("%s: err = %v\nwant     %s", source, err, tc.want)
	}
	if strings.Contains(stderr+err.Error(), "hunter2") {
		t.Fatalf("%s: the Redis password is in the output:\n%s", source, stderr)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatalf("%s: the database was opened before the setting was refused (%v)", source, err)
	}
}

func TestServeRefusesEachInvalidSettingWithItsRule(t *testing.T) {
	for _, tc := range invalidSettings {
		t.Run(tc.flag+"="+tc.value, func(t *testing.T) { refuseServe(t, tc, "flag") })
	}
}

func TestServeRefusesEachInvalidSettingFromTheEnvAndTheConfigFile(t *testing.T) {
	for _, source := range []string{"env", "toml", "yaml"} {
		for _, tc := range invalidSettings {
			t.Run(source+"/"+tc.flag+"="+tc.value, func(t *testing.T) { refuseServe(t, tc, source) })
		}
	}
}

func TestServeAcceptsTheEdgesOfEachRule(t *testing.T) {
	// Each is a value at the limit of a rule above; serveFlags runs the
	// command's checks with the server itself replaced by a no-op.
	for _, args := range [][]string{
		{"--key-rotation", "0"},
		{"--access-ttl", "1m", "--reuse-grace", "1m"},
		{"--refresh-idle-ttl", "2160h", "--session-max-age", "2160h"},
		{"--issuer", "https://auth.example.com/tenant"},
		{"--issuer", "http://127.0.0.1:8080"},
		{"--audience", "orders-api"},
		{"--redis", "redis://:pw@127.0.0.1:6379/0"},
		{"--trusted-proxies", "10.0.0.0/8,192.0.2.1", "--cors-origins", "https://app.example,http://127.0.0.1:8082"},
		{"--db", "postgres://gatehouse@127.0.0.1:5432/gatehouse"},
		{"--jwks-max-age", "24h"},
		{"--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"},
		{"--metrics-addr", "127.0.0.1:9090", "--pprof"},
		{"--dev-cookies", "--issuer", "http://[::1]:8080"},
		{"--redis-prefix", "x"},
	} {
		if _, err := serveFlags(t, nil, args...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// A flag added to serve without a rule, and without a reason to have none,
// would be taken as given, however wrong: this test names it.
func TestEveryServeFlagHasARuleOrAReasonForNone(t *testing.T) {
	serve, err := serveFlags(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	ruled := map[string]bool{}
	for _, r := range serveRules {
		ruled[r.flag] = true
	}
	seen := map[string]bool{}
	visit := func(f *pflag.Flag) {
		if f.Name == "help" || seen[f.Name] {
			return
		}
		seen[f.Name] = true
		_, exempt := flagsWithoutRules[f.Name]
		switch {
		case ruled[f.Name] && exempt:
			t.Errorf("--%s has rules and is also listed in flagsWithoutRules", f.Name)
		case !ruled[f.Name] && !exempt:
			t.Errorf("--%s has no rule in serveRules and no reason in flagsWithoutRules", f.Name)
		}
	}
	serve.Flags().VisitAll(visit)
	serve.InheritedFlags().VisitAll(visit)
	for name := range ruled {
		if !seen[name] {
			t.Errorf("serveRules has a rule for --%s, which serve does not have", name)
		}
	}
	for name := range flagsWithoutRules {
		if !seen[name] {
			t.Errorf("flagsWithoutRules lists --%s, which serve does not have", name)
		}
	}
}

func TestDevCookiesAreRefusedWithAnIssuerOffLoopbackBeforeAnythingOpens(t *testing.T) {
	for _, issuer := range []string{"https://auth.example.com", "http://192.0.2.1:8080"} {
		refuseServe(t, invalidSetting{flag: "issuer", value: issuer,
			want: fmt.Sprintf("--dev-cookies true: need a loopback issuer (localhost, 127.0.0.0/8 or [::1]), not %s", issuer)}, "flag+dev-cookies")
	}
	if _, err := serveFlags(t, nil, "--dev-cookies", "--issuer", "http://localhost:8080"); err != nil {
		t.Errorf("--dev-cookies with a loopback issuer: %v", err)
	}
}
