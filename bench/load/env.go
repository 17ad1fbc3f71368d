package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// env is what the scenarios share: the client, the servers, the bench user.
type env struct {
	o            options
	tmp          string
	client       *http.Client
	gatehouseBin string
	goapiBin     string
	guardapiBin  string
	server       *proc // nil with -url
	goapi        *proc // started by the first goapi scenario
	guardapi     *proc // started by the first guard scenario
	dropSchema   func()
	clientID     string // the confidential client of introspect
	clientSecret string
	base         string
	issuer       string
	db           string
	user, pass   string
	tokens       []tokenPair // one session per worker, for userinfo and goapi-orders
}

type tokenPair struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

// setUp builds the binaries, starts (or finds) the server and adds the
// bench user. The returned env is closed by the caller even on error.
func setUp(ctx context.Context, o options) (*env, error) {
	tmp, err := os.MkdirTemp("", "gatehouse-load-")
	if err != nil {
		return nil, err
	}
	conns := max(o.workers, o.burstWorkers)
	for _, name := range o.scenarios {
		if _, n, _ := splitWorkers(name); n > conns {
			conns = n
		}
	}
	e := &env{o: o, tmp: tmp, client: newClient(conns, o.timeout)}
	fmt.Fprintln(os.Stderr, "load: building cmd/gatehouse, examples/goapi and bench/guardapi")
	if e.gatehouseBin, e.goapiBin, e.guardapiBin, err = build(ctx, tmp); err != nil {
		return e, err
	}
	if o.bin != "" {
		e.gatehouseBin = o.bin
	}
	e.base, e.db = o.url, o.db
	if e.base == "" {
		e.db = "sqlite:" + filepath.Join(tmp, "gatehouse.db")
		if o.postgres != "" {
			if e.db, e.dropSchema, err = pgSchema(ctx, o.postgres); err != nil {
				return e, err
			}
			// On PostgreSQL the key-encryption key is given; the server and
			// the CLI commands inherit it.
			if os.Getenv("GATEHOUSE_KEY_ENCRYPTION_KEY") == "" {
				kek := make([]byte, 32)
				rand.Read(kek)
				os.Setenv("GATEHOUSE_KEY_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(kek))
			}
		}
		e.server, err = startProc(ctx, "gatehouse serve", tmp, nil, e.gatehouseBin,
			"serve", "--addr", "127.0.0.1:0", "--db", e.db, "--log-format", "text")
		if err != nil {
			return e, err
		}
		e.base = "http://" + e.server.addr
	}
	if err := e.waitHealthy(ctx, e.base); err != nil {
		return e, err
	}
	if e.issuer, err = e.metadataIssuer(ctx); err != nil {
		return e, err
	}
	e.user = "loadbench-" + strings.ToLower(rand.Text()[:10])
	e.pass = rand.Text()
	add := exec.CommandContext(ctx, e.gatehouseBin, "user", "add", e.user, "--password-stdin", "--db", e.db, "--scope", "orders:read")
	add.Dir = tmp
	add.Stdin = strings.NewReader(e.pass + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		return e, fmt.Errorf("gatehouse user add: %w\n%s", err, out)
	}
	return e, nil
}

func (e *env) close() {
	for _, p := range []*proc{e.guardapi, e.goapi, e.server} {
		if p != nil {
			p.stop()
		}
	}
	if e.dropSchema != nil {
		e.dropSchema()
	}
	os.RemoveAll(e.tmp)
}

// pgSchema creates a schema of its own in the database at u and returns
// the --db URL whose connections use it, and how to drop it.
func pgSchema(ctx context.Context, u string) (string, func(), error) {
	// The server's pool settings (pool_max_conns, ...) may be in u:
	// pgxpool's parser takes them out of what one connection is given.
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		return "", nil, fmt.Errorf("-postgres: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return "", nil, fmt.Errorf("-postgres: %w", err)
	}
	defer conn.Close(ctx)
	schema := "loadbench_" + strings.ToLower(rand.Text()[:10])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("-postgres: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.ConnectConfig(ctx, cfg.ConnConfig); err == nil {
			c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	// libpq reads %20, not +, as a space in a URL.
	return u + sep + "options=" + strings.ReplaceAll(url.QueryEscape("-c search_path="+schema), "+", "%20"), drop, nil
}

// confidentialClient registers a confidential client once, with
// gatehouse client add, for the introspect scenario.
func (e *env) confidentialClient(ctx context.Context) (id, secret string, err error) {
	if e.clientID != "" {
		return e.clientID, e.clientSecret, nil
	}
	add := exec.CommandContext(ctx, e.gatehouseBin, "client", "add", "loadbench-introspect", "--db", e.db)
	add.Dir = e.tmp
	out, err := add.CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("gatehouse client add: %w\n%s", err, out)
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch strings.TrimSpace(k) {
		case "client_id":
			id = strings.TrimSpace(v)
		case "client_secret":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("gatehouse client add printed no client_id and client_secret:\n%s", out)
	}
	e.clientID, e.clientSecret = id, secret
	return id, secret, nil
}

// startGuardapi starts bench/guardapi against the server once.
func (e *env) startGuardapi(ctx context.Context) (string, error) {
	if e.guardapi == nil {
		p, err := startProc(ctx, "bench/guardapi", e.tmp,
			[]string{"GATEHOUSE_ISSUER=" + e.issuer, "GUARDAPI_ADDR=127.0.0.1:0"}, e.guardapiBin)
		if err != nil {
			return "", err
		}
		e.guardapi = p
		if err := e.waitHealthy(ctx, "http://"+p.addr); err != nil {
			return "", err
		}
	}
	return "http://" + e.guardapi.addr, nil
}

// newClient is a client for n concurrent workers on one host: every
// worker keeps its connection alive, nothing is compressed or proxied.
func newClient(n int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * n,
		MaxIdleConnsPerHost: n,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// describe is the header of the report.
func (e *env) describe(o options) string {
	built := "built from this checkout"
	if e.o.bin != "" {
		built = e.o.bin
	}
	store := "SQLite in a temporary directory"
	if e.o.postgres != "" {
		store = "PostgreSQL (a schema of its own)"
	}
	target := "gatehouse serve (" + built + ") on " + e.base + ", " + store
	if e.server == nil {
		target = "the server at " + e.base
	}
	return fmt.Sprintf("%s; %d workers (password-burst %d), %v per scenario after a %v warm-up; %s %s/%s, %d CPUs, GOMAXPROCS %d",
		target, o.workers, o.burstWorkers, o.duration, o.warmup, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), runtime.GOMAXPROCS(0))
}

func (e *env) waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(startupDeadline)
	for {
		out := e.get(ctx, base+"/healthz", "")
		if out.status == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s/healthz: not 200 within %v (%v, status %d)", base, startupDeadline, out.err, out.status)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// metadataIssuer reads the issuer from the RFC 8414 metadata, which is
// what examples/goapi must be given.
func (e *env) metadataIssuer(ctx context.Context) (string, error) {
	var md struct {
		Issuer string `json:"issuer"`
	}
	out := e.do(ctx, http.MethodGet, e.base+"/.well-known/oauth-authorization-server", "", nil, &md)
	if out.status != http.StatusOK || md.Issuer == "" {
		return "", fmt.Errorf("metadata: status %d, issuer %q, %v", out.status, md.Issuer, out.err)
	}
	return md.Issuer, nil
}

// login logs the bench user in, waiting out 503s (a busy hashing queue).
func (e *env) login(ctx context.Context) (tokenPair, error) {
	form := url.Values{"grant_type": {"password"}, "username": {e.user}, "password": {e.pass}}.Encode()
	deadline := time.Now().Add(startupDeadline)
	for {
		var tp tokenPair
		out := e.do(ctx, http.MethodPost, e.base+"/token", "", strings.NewReader(form), &tp)
		switch {
		case out.status == http.StatusOK && tp.Access != "" && tp.Refresh != "":
			return tp, nil
		case out.status == http.StatusServiceUnavailable && time.Now().Before(deadline):
			sleep(ctx, out.retryAfter)
		default:
			return tp, fmt.Errorf("login: status %d, %v", out.status, out.err)
		}
	}
}

// sessions returns n token pairs, logging in as many sessions as needed.
func (e *env) sessions(ctx context.Context, n int) ([]tokenPair, error) {
	for len(e.tokens) < n {
		tp, err := e.login(ctx)
		if err != nil {
			return nil, err
		}
		e.tokens = append(e.tokens, tp)
	}
	return e.tokens[:n], nil
}

// startGoapi starts examples/goapi against the server once.
func (e *env) startGoapi(ctx context.Context) (string, error) {
	if e.goapi == nil {
		p, err := startProc(ctx, "examples/goapi", e.tmp,
			[]string{"GATEHOUSE_ISSUER=" + e.issuer, "GATEHOUSE_AUDIENCE=", "GOAPI_ADDR=127.0.0.1:0"}, e.goapiBin)
		if err != nil {
			return "", err
		}
		e.goapi = p
		if err := e.waitHealthy(ctx, "http://"+p.addr); err != nil {
			return "", err
		}
	}
	return "http://" + e.goapi.addr, nil
}

// outcome is one answered (or failed) request.
type outcome struct {
	status     int // 0 when the request failed
	retryAfter time.Duration
	err        error
}

func (e *env) get(ctx context.Context, u, bearer string) outcome {
	return e.do(ctx, http.MethodGet, u, bearer, nil, nil)
}

// do sends one request; form bodies are form-encoded. A 2xx body is
// decoded into v when v is not nil, and read to the end otherwise, so that
// the connection is reused.
func (e *env) do(ctx context.Context, method, u, bearer string, body io.Reader, v any) outcome {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return outcome{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	out := outcome{status: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		out.retryAfter = time.Duration(s) * time.Second
	}
	if v != nil && resp.StatusCode/100 == 2 {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			out.err = fmt.Errorf("decode %s: %w", u, err)
		}
	}
	io.Copy(io.Discard, resp.Body)
	return out
}

// refreshCookie is the name of browser mode's refresh cookie (without
// --dev-cookies; the server reads it by name over plain HTTP too).
const refreshCookie = "__Secure-gatehouse-refresh"

// cookieRefresh is POST /session/refresh as a page sends it: the refresh
// cookie and the CSRF header. It returns the rotated refresh token from
// Set-Cookie.
func (e *env) cookieRefresh(ctx context.Context, refresh string) (outcome, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/session/refresh", nil)
	if err != nil {
		return outcome{err: err}, ""
	}
	req.Header.Set("X-Requested-With", "fetch")
	req.AddCookie(&http.Cookie{Name: refreshCookie, Value: refresh})
	resp, err := e.client.Do(req)
	if err != nil {
		return outcome{err: err}, ""
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	out := outcome{status: resp.StatusCode}
	for _, c := range resp.Cookies() {
		if c.Name == refreshCookie {
			return out, c.Value
		}
	}
	return out, ""
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

var errNoToken = errors.New("answer without the expected token")
