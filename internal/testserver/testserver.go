// Package testserver wires a whole Gatehouse server (store, keyring, session
// manager, password hasher, throttle, HTTP handler) for tests, once, so that
// every package's tests run the server the way cmd/gatehouse wires it.
// Test code only.
package testserver

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/clients"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testdb"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/store/postgres"
	"github.com/gatehouse/gatehouse/token"
)

// Issuer is the issuer of every test server.
const Issuer = "https://auth.example.test"

// Start is the time the clock of a test server reads when it starts.
var Start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// CheapHashing makes argon2id cheap: most tests are about what the server
// answers, not about what hashing costs.
var CheapHashing = password.Config{Memory: 64, Time: 1, AllowWeak: true}

// NoLimits is a throttle configuration whose limits tests never reach: a
// 429 would hide the answer a test is about. Brute force has its own tests.
var NoLimits = ratelimit.Config{PairFree: 1 << 30, AccountFree: 1 << 30, IPFree: 1 << 30, GlobalPerSecond: -1}

// Options configure a test server. The zero value is a server on a fresh
// SQLite database with cheap hashing and the default throttle.
type Options struct {
	// Postgres puts the server on a fresh PostgreSQL schema instead of
	// SQLite (skipped without PostgreSQL, failed under CI=true).
	Postgres bool
	// Store, when set, is used as it is (for a second server on one database).
	Store gatehouse.Store
	// Wrap decorates the store the server uses, e.g. with barriers that
	// stop a request at a chosen step. Server.Store stays the raw store.
	Wrap func(gatehouse.Store) gatehouse.Store
	// Hashing configures the password hasher; default CheapHashing.
	Hashing *password.Config
	// Throttle configures the login throttle (its clock is the server's);
	// default the production defaults.
	Throttle *ratelimit.Config
	// Session adjusts the session manager's configuration.
	Session func(*session.Config)
	// HTTP adjusts the handler's configuration.
	HTTP func(*httpapi.Config)
	// Clock is the server's clock; default a new one at Start.
	Clock *testclock.Clock
	// KEK seals the signing keys; default a new random one.
	KEK *token.KEK
}

// Server is a running test server.
type Server struct {
	T        testing.TB
	Ctx      context.Context
	Store    gatehouse.Store // the raw store (not decorated by Options.Wrap)
	Clock    *testclock.Clock
	KEK      *token.KEK
	Keys     *session.Keyring
	Sessions *session.Manager
	Accounts *account.Service
	Clients  *clients.Service
	Hasher   *password.Hasher
	Throttle *ratelimit.Throttle
	Handler  http.Handler
	Registry *prometheus.Registry
	Logs     *SyncBuffer
	// URL is the base URL of the real listener the handler is served on;
	// Client talks to it.
	URL    string
	Client *http.Client
}

// New starts a test server; everything it opens is closed when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	st := o.Store
	switch {
	case st != nil:
	case o.Postgres:
		st, _ = Postgres(t)
	default:
		st = testdb.SQLite(t)
	}
	clk := o.Clock
	if clk == nil {
		clk = testclock.New(Start)
	}
	used := st
	if o.Wrap != nil {
		used = o.Wrap(st)
	}
	var err error
	logs := &SyncBuffer{}
	logger := slog.New(httpapi.LogHandler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	kek := o.KEK
	if kek == nil {
		if kek, err = token.ParseKEK(token.GenerateKEK()); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := session.LoadKeyring(ctx, used, session.KeyringConfig{KEK: kek, Now: clk.Now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	scfg := session.Config{
		Store: used, Keyring: keys, Issuer: Issuer, Logger: logger,
		AccessTTL: 15 * time.Minute, IdleTTL: time.Hour, MaxAge: 3 * time.Hour, Grace: 10 * time.Second,
		Now: clk.Now,
	}
	if o.Session != nil {
		o.Session(&scfg)
	}
	m, err := session.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	hcfg := CheapHashing
	if o.Hashing != nil {
		hcfg = *o.Hashing
	}
	h, err := password.New(hcfg)
	if err != nil {
		t.Fatal(err)
	}
	var tcfg ratelimit.Config
	if o.Throttle != nil {
		tcfg = *o.Throttle
	}
	tcfg.Now = clk.Now
	throttle := ratelimit.New(ratelimit.NewMemory(clk.Now), tcfg)
	reg := prometheus.NewRegistry()
	accounts, err := account.New(account.Config{
		Store: used, Passwords: h, Sessions: m, Throttle: throttle, Logger: logger, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	cls, err := clients.New(clients.Config{Store: used, Passwords: h, Throttle: throttle, Logger: logger, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := httpapi.Config{
		Store: used, Sessions: m, Accounts: accounts, Clients: cls, Keyring: keys, Passwords: h, Throttle: throttle,
		Issuer:         Issuer,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.0/8")},
		Now:            clk.Now,
		Registry:       reg,
		Logger:         logger,
	}
	if o.HTTP != nil {
		o.HTTP(&cfg)
	}
	handler, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &Server{
		T: t, Ctx: ctx, Store: st, Clock: clk, KEK: kek, Keys: keys, Sessions: m, Accounts: accounts, Clients: cls, Hasher: h, Throttle: throttle,
		Handler: handler, Registry: reg, Logs: logs, URL: ts.URL, Client: ts.Client(),
	}
}

// Postgres returns a migrated PostgreSQL store in a fresh schema, closed
// (before the schema is dropped) when the test ends, and the URL of the
// schema for tests that look at the rows themselves.
func Postgres(t testing.TB) (*postgres.Store, string) {
	t.Helper()
	dsn, _ := testdb.PostgresSchema(t, "gh_srv_")
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, dsn
}

// SyncBuffer collects the server's log for assertions.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
