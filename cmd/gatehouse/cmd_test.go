package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/store/sqlite"
)

// run executes the command tree in-process with env as the environment.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, stdin: strings.NewReader(stdin), lookupEnv: mapLookup(env)}
	root := c.rootCmd()
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func mapLookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// serveFlags runs `gatehouse serve ARGS` with its RunE replaced by one that
// records the flags as they are after parsing and the environment.
func serveFlags(t *testing.T, env map[string]string, args ...string) (*cobra.Command, error) {
	t.Helper()
	_, serve, err := serveWithConfig(t, env, args...)
	return serve, err
}

// migratedSQLite opens the SQLite store at path, migrated, closed when the
// test ends.
func migratedSQLite(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestEnvTwinIsTheDefaultAndAnExplicitFlagWins(t *testing.T) {
	env := map[string]string{
		"GATEHOUSE_ADDR":            "127.0.0.1:9999",
		"GATEHOUSE_REUSE_GRACE":     "3s",
		"GATEHOUSE_SIGNUP":          "true",
		"GATEHOUSE_DB":              "sqlite:from-env.db",
		"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8,192.168.0.0/16",
	}
	serve, err := serveFlags(t, env, "--reuse-grace", "1s")
	if err != nil {
		t.Fatal(err)
	}
	f := serve.Flags()
	if got, _ := f.GetString("addr"); got != "127.0.0.1:9999" {
		t.Errorf("addr = %q, want the env value", got)
	}
	if got, _ := f.GetDuration("reuse-grace"); got != time.Second {
		t.Errorf("reuse-grace = %v, want the flag's 1s over the env's 3s", got)
	}
	if got, _ := f.GetBool("signup"); !got {
		t.Error("signup = false, want the env's true")
	}
	if got, _ := f.GetString("db"); got != "sqlite:from-env.db" {
		t.Errorf("db = %q, want the env value", got)
	}
	if got, _ := f.GetStringSlice("trusted-proxies"); len(got) != 2 {
		t.Errorf("trusted-proxies = %q, want two CIDRs", got)
	}
	if got, _ := f.GetDuration("access-ttl"); got != 15*time.Minute {
		t.Errorf("access-ttl = %v, want the default 15m with neither flag nor env", got)
	}
}

func TestEveryServeFlagOfTheContractHasItsDefault(t *testing.T) {
	serve, err := serveFlags(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"addr":                    "127.0.0.1:8080",
		"db":                      "sqlite:gatehouse.db",
		"issuer":                  "",
		"audience":                "",
		"access-ttl":              "15m0s",
		"refresh-idle-ttl":        "336h0m0s",
		"session-max-age":         "2160h0m0s",
		"reuse-grace":             "10s",
		"alg":                     "ES256",
		"signup":                  "false",
		"redis":                   "",
		"trusted-proxies":         "[]",
		"log-format":              "text",
		"key-rotation":            "720h0m0s",
		"jwks-max-age":            "5m0s",
		"key-encryption-key-file": "",
	}
	for name, def := range want {
		f := serve.Flags().Lookup(name)
		if f == nil {
			t.Errorf("serve has no --%s", name)
			continue
		}
		if f.Value.String() != def {
			t.Errorf("--%s = %q, want default %q", name, f.Value.String(), def)
		}
	}
}

func TestServeHelpListsEveryEnvTwin(t *testing.T) {
	out, _, err := run(t, nil, "", "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"GATEHOUSE_ADDR", "GATEHOUSE_DB", "GATEHOUSE_ISSUER", "GATEHOUSE_AUDIENCE",
		"GATEHOUSE_ACCESS_TTL", "GATEHOUSE_REFRESH_IDLE_TTL", "GATEHOUSE_SESSION_MAX_AGE", "GATEHOUSE_REUSE_GRACE",
		"GATEHOUSE_ALG", "GATEHOUSE_SIGNUP", "GATEHOUSE_REDIS", "GATEHOUSE_TRUSTED_PROXIES", "GATEHOUSE_LOG_FORMAT",
		"GATEHOUSE_KEY_ROTATION", "GATEHOUSE_JWKS_MAX_AGE", "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", "GATEHOUSE_KEY_ENCRYPTION_KEY"} {
		if !strings.Contains(out, name) {
			t.Errorf("serve --help does not mention %s", name)
		}
	}
}

func TestEveryCommandTakesDBAndHelp(t *testing.T) {
	for _, args := range [][]string{
		{"serve"}, {"migrate"}, {"version"}, {"keys", "list"}, {"keys", "rotate"}, {"keys", "revoke"}, {"keys", "rewrap"}, {"client", "add"},
		{"user", "add"}, {"user", "list"}, {"user", "disable"}, {"user", "enable"}, {"user", "passwd"}, {"user", "delete"},
		{"user", "import"}, {"user", "set"}, {"user", "show"}, {"client", "list"}, {"client", "show"}, {"client", "delete"},
		{"client", "rotate-secret"},
	} {
		out, _, err := run(t, nil, "", append(args, "--help")...)
		if err != nil {
			t.Errorf("%v --help: %v", args, err)
			continue
		}
		if !strings.Contains(out, "--db") || !strings.Contains(out, "GATEHOUSE_DB") {
			t.Errorf("%v --help does not list --db with its env twin:\n%s", args, out)
		}
	}
}

func TestBadEnvValueNamesTheVariable(t *testing.T) {
	_, err := serveFlags(t, map[string]string{"GATEHOUSE_ACCESS_TTL": "soon"})
	if err == nil || !strings.Contains(err.Error(), "GATEHOUSE_ACCESS_TTL") {
		t.Fatalf("err = %v, want one naming GATEHOUSE_ACCESS_TTL", err)
	}
}

func TestDBFromEnvAndFromFlag(t *testing.T) {
	dir := t.TempDir()
	envDB, flagDB := filepath.Join(dir, "env.db"), filepath.Join(dir, "flag.db")
	env := map[string]string{"GATEHOUSE_DB": "sqlite:" + envDB}

	if _, _, err := run(t, env, "", "migrate"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(envDB); err != nil {
		t.Fatalf("migrate with GATEHOUSE_DB did not create %s: %v", envDB, err)
	}
	if _, _, err := run(t, env, "", "migrate", "--db", "sqlite:"+flagDB); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(flagDB); err != nil {
		t.Fatalf("migrate --db did not use the flag over the env: %v", err)
	}
}

func TestFlagsBeforeOrAfterPositionalArguments(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	pw := "correct horse battery staple\n"
	if _, _, err := run(t, nil, pw, "user", "add", "alice", "--db", db, "--password-stdin", "--scope", "orders:read"); err != nil {
		t.Fatalf("flags after NAME: %v", err)
	}
	if _, _, err := run(t, nil, pw, "--db", db, "user", "add", "--scope", "orders:write", "--password-stdin", "bob"); err != nil {
		t.Fatalf("flags before NAME: %v", err)
	}
	out, _, err := run(t, nil, "", "user", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if !regexpLine(out, "alice", "orders:read") || !regexpLine(out, "bob", "orders:write") {
		t.Fatalf("user list:\n%s", out)
	}
}

// regexpLine reports whether some line of out contains every word.
func regexpLine(out string, words ...string) bool {
	for line := range strings.SplitSeq(out, "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestDefaultIssuer(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":8080":          "http://localhost:8080",
		"0.0.0.0:9000":   "http://localhost:9000",
		"[::]:9000":      "http://localhost:9000",
		"[::1]:9000":     "http://[::1]:9000",
	} {
		if got := defaultIssuer(addr); got != want {
			t.Errorf("defaultIssuer(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := parsePrefixes([]string{"10.0.0.0/8", "192.168.1.7 ::1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "::1/128"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := parsePrefixes([]string{"not-an-ip"}); err == nil {
		t.Error("a bad entry was accepted")
	}
}

func TestRedactDSNHidesThePassword(t *testing.T) {
	got := redactDSN("postgres://gh:s3cret@db:5432/gatehouse")
	if strings.Contains(got, "s3cret") {
		t.Fatalf("redactDSN leaked the password: %q", got)
	}
}

func writeAll(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

func TestUnknownOrMissingSubcommandsFail(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	for _, args := range [][]string{
		{"bogus"}, {"user", "bogus"}, {"user", "imprt", "users.jsonl"}, {"client", "bogus"}, {"keys", "bogus"},
		{"user"}, {"client"}, {"keys"}, {},
	} {
		_, stderr, err := run(t, nil, "", append(args, "--db", db)...)
		if err == nil {
			t.Errorf("gatehouse %q exits 0", args)
			continue
		}
		if len(args) > 0 && args[len(args)-1] != "users.jsonl" && len(args) > 1 && !strings.Contains(err.Error(), "unknown command") {
			t.Errorf("gatehouse %q: %v", args, err)
		}
		if len(args) > 1 && !strings.Contains(stderr, "Usage:") {
			t.Errorf("gatehouse %q: no usage on stderr: %q", args, stderr)
		}
	}
	// Help is still help.
	for _, args := range [][]string{{"--help"}, {"user", "--help"}, {"client", "--help"}, {"user", "import", "--help"}} {
		if _, _, err := run(t, nil, "", args...); err != nil {
			t.Errorf("gatehouse %q: %v", args, err)
		}
	}
}
