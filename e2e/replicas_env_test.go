package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/gatehouse/gatehouse/token"
)

// The replica tests run several `gatehouse serve` processes on one
// PostgreSQL database (and one Redis), as behind a load balancer. They use
// the servers on this machine, or GATEHOUSE_TEST_POSTGRES and
// GATEHOUSE_TEST_REDIS. Without them the tests skip, except under CI=true,
// where they fail.

// replicaIssuer is the one issuer every replica is configured with: they
// sit behind one name.
const replicaIssuer = "http://gatehouse.test"

func testPostgresURL() string {
	if u := os.Getenv("GATEHOUSE_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func testRedisURL() string {
	if u := os.Getenv("GATEHOUSE_TEST_REDIS"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// unavailable skips the test when a server it needs is missing, unless CI
// is set: then it fails.
func unavailable(t *testing.T, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "" {
		t.Skipf("%s unreachable (%v); CI=true makes this a failure", what, err)
	}
	t.Fatalf("%s unreachable under CI=true: %v", what, err)
}

// newPostgresDB creates an empty database, dropped at the end of the test
// (after the processes that use it have stopped, since cleanups run last
// first), and returns its URL.
func newPostgresDB(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testPostgresURL())
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	defer conn.Close(context.Background())
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "gh_e2e_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testPostgresURL())
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(testPostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// newRedisPrefix checks that Redis answers and returns its URL and a key
// prefix of the test's own; the test's keys are deleted at its end.
func newRedisPrefix(t *testing.T) (redisURL, prefix string) {
	t.Helper()
	opt, err := redis.ParseURL(testRedisURL())
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries, opt.DialTimeout = -1, 2*time.Second
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		unavailable(t, "Redis", err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix = "gatehouse-e2e:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("deleting %s*: %v", prefix, err)
		}
	})
	return testRedisURL(), prefix
}

// gatehouseOn runs one CLI command of the built binary with --db dsn and
// returns its stdout; a non-zero exit fails the test.
func gatehouseOn(t *testing.T, dsn, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gatehouseBin, append(args, "--db", dsn)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GATEHOUSE_KEY_ENCRYPTION_KEY=" + replicaKEK}
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("gatehouse %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, o.String(), e.String())
	}
	return o.String()
}

// replicaKEK is the key-encryption key every replica of the tests shares
// (on PostgreSQL it comes from configuration).
var replicaKEK = string(bytes.TrimSpace(token.GenerateKEK()))

// startReplica serves dsn on a free port with the common issuer and
// key-encryption key, a JWKS cache lifetime of a second (a rotation may
// happen three seconds after another), JSON logs and the extra flags.
func startReplica(t *testing.T, dsn string, flags ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--db", dsn, "--addr", "127.0.0.1:0", "--issuer", replicaIssuer, "--log-format", "json",
		"--jwks-max-age", "1s"}, flags...)
	return startProc(t, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY=" + replicaKEK}, gatehouseBin, args...)
}

// raceClient keeps enough connections open per replica for a round of
// concurrent requests, so the rounds do not churn through sockets.
var raceClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 128, IdleConnTimeout: time.Minute},
}

// refreshResult is one answer of a concurrent round.
type refreshResult struct {
	status  int
	body    string
	access  string
	refresh string
	err     error
}

// refreshAtOnce presents refreshToken n times at once, request i to
// bases[i%len(bases)], and returns the answers in that order. It runs off
// the test goroutine, so it reports errors instead of failing the test.
func refreshAtOnce(bases []string, refreshToken string, n int) []refreshResult {
	out := make([]refreshResult, n)
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}.Encode()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = postForm(bases[i%len(bases)]+"/token", form)
		})
	}
	close(start)
	wg.Wait()
	return out
}

func postForm(u, form string) refreshResult {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form))
	if err != nil {
		return refreshResult{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := raceClient.Do(req)
	if err != nil {
		return refreshResult{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return refreshResult{err: err}
	}
	r := refreshResult{status: resp.StatusCode, body: string(b)}
	var tok struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &tok); err != nil {
			r.err = err
		}
		r.access, r.refresh = tok.Access, tok.Refresh
	}
	return r
}

// claimsOf decodes a JWT's payload (no verification: the servers do that).
func claimsOf(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.20q…", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
