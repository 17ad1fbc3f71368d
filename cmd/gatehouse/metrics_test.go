package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log written by the server and read by the test.

// served is `gatehouse serve` running in-process.
type served struct {
	base, metrics string // URLs of the public and the metrics listener ("" when none)
	log           *syncBuffer
	stop          func() error // SIGTERM's equivalent: cancel and wait for serve to return
}

var (
	listeningAt = regexp.MustCompile(`msg=listening addr=(\S+)`)
	metricsAt   = regexp.MustCompile(`metrics_addr=(\S+)`)
)

// startServe runs `gatehouse serve --db db --addr 127.0.0.1:0 ARGS` until
// the test ends, and waits until it listens.
func startServe(t *testing.T, db string, args ...string) *served {
	t.Helper()
	log := &syncBuffer{}
	c := &cli{stdout: log, stderr: log, stdin: strings.NewReader(""), lookupEnv: mapLookup(nil)}
	root := c.rootCmd()
	root.SetArgs(append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	s := &served{log: log}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	// Only a bound for a failing test: the server logs its address as soon as it listens.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listeningAt.FindStringSubmatch(log.String()); m != nil {
			s.base = "http://" + m[1]
			break
		}
		select {
		case err := <-done:
			done <- err // for stop, in the cleanup
			t.Fatalf("serve ended before listening: %v\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen:\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if m := metricsAt.FindStringSubmatch(log.String()); m != nil {
		s.metrics = "http://" + m[1]
	}
	return s
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func newDB(t *testing.T) string {
	t.Helper()
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	if _, _, err := run(t, nil, "correct horse battery\n", "user", "add", "alice", "--db", db, "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMetricsFlagsDefaultToOff(t *testing.T) {
	serve, err := serveFlags(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, def := range map[string]string{"metrics-addr": "", "pprof": "false"} {
		if f := serve.Flags().Lookup(name); f == nil || f.Value.String() != def {
			t.Errorf("--%s: %v; want default %q", name, f, def)
		}
	}
}

func TestPprofWithoutMetricsAddrIsRefused(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	for _, env := range []map[string]string{nil, {"GATEHOUSE_PPROF": "true"}} {
		args := []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}
		if env == nil {
			args = append(args, "--pprof")
		}
		_, _, err := run(t, env, "", args...)
		if err == nil || !strings.Contains(err.Error(), "--pprof") || !strings.Contains(err.Error(), "--metrics-addr") {
			t.Errorf("env %v: %v; want an error naming --pprof and --metrics-addr", env, err)
		}
	}
}

func TestMetricsOnThePublicListenerByDefault(t *testing.T) {
	s := startServe(t, newDB(t))
	if s.metrics != "" {
		t.Fatalf("a metrics listener without --metrics-addr: %s", s.metrics)
	}
	code, body := get(t, s.base+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{"go_goroutines ", "process_cpu_seconds_total ", `gatehouse_logins_total{outcome="ok"} `} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := get(t, s.base+"/debug/pprof/"); code != 404 {
		t.Errorf("GET /debug/pprof/ on the public listener: %d; want 404", code)
	}
}

func TestMetricsAddrServesMetricsAndPprofApart(t *testing.T) {
	s := startServe(t, newDB(t), "--metrics-addr", "127.0.0.1:0", "--pprof")
	if s.metrics == "" {
		t.Fatalf("no metrics listener logged:\n%s", s.log.String())
	}
	// A failed login, to see it counted on the metrics listener.
	resp, err := http.PostForm(s.base+"/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wrong password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Request-ID")
	if id == "" || !strings.Contains(s.log.String(), "request_id="+id) {
		t.Errorf("the failed login's log lines do not carry its X-Request-ID %q:\n%s", id, s.log.String())
	}

	if code, _ := get(t, s.base+"/metrics"); code != 404 {
		t.Errorf("GET /metrics on the public listener with --metrics-addr: %d; want 404", code)
	}
	if code, _ := get(t, s.base+"/debug/pprof/"); code != 404 {
		t.Errorf("GET /debug/pprof/ on the public listener: %d; want 404", code)
	}
	code, body := get(t, s.metrics+"/metrics")
	if code != 200 || !strings.Contains(body, `gatehouse_logins_total{outcome="bad_credentials"} 1`) || !strings.Contains(body, "go_goroutines ") {
		t.Errorf("GET /metrics on the metrics listener: %d\n%s", code, body)
	}
	if code, body := get(t, s.metrics+"/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/ on the metrics listener: %d", code)
	}
	if code, _ := get(t, s.metrics+"/debug/pprof/heap?debug=1"); code != 200 {
		t.Errorf("GET /debug/pprof/heap: %d", code)
	}

	// The metrics listener stops with the server.
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := http.Get(s.metrics + "/metrics"); err == nil {
		t.Error("the metrics listener still answers after the server stopped")
	}
}

func TestMetricsAddrWithoutPprofServesNoProfiles(t *testing.T) {
	s := startServe(t, newDB(t), "--metrics-addr", "127.0.0.1:0")
	if code, _ := get(t, s.metrics+"/metrics"); code != 200 {
		t.Errorf("GET /metrics on the metrics listener: %d", code)
	}
	if code, _ := get(t, s.metrics+"/debug/pprof/"); code != 404 {
		t.Errorf("GET /debug/pprof/ without --pprof: %d; want 404", code)
	}
}

func TestMetricsAddrThatCannotListenIsRefused(t *testing.T) {
	_, _, err := run(t, nil, "", "serve", "--db", "sqlite:"+filepath.Join(t.TempDir(), "g.db"), "--addr", "127.0.0.1:0", "--metrics-addr", "256.0.0.1:0")
	if err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Errorf("%v; want an error naming --metrics-addr", err)
	}
}
