package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/clients"
	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"github.com/gatehouse/gatehouse/session"
)

// Config is what the server's handlers need. Store, Sessions, Accounts,
// Clients, Keyring, Passwords and Issuer are required.
type Config struct {
	Store    gatehouse.Store
	Sessions *session.Manager
	// Accounts is the one service through which users change (logins,
	// sign-ups and the admin API alike).
	Accounts *account.Service
	// Clients is the one service through which clients change and their
	// credentials are checked.
	Clients   *clients.Service
	Keyring   *session.Keyring
	Passwords *password.Hasher
	// Throttle is the login throttle Accounts uses, for its metrics; nil
	// means none.
	Throttle *ratelimit.Throttle
	// Issuer is the iss of the tokens and the base of the metadata URLs.
	Issuer string
	// Signup opens POST /signup: anyone may create an account (with no
	// scopes). Off by default.
	Signup bool
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Registry, when set, receives the metrics of the server and its
	// components (docs/metrics.md) and serves GET /metrics.
	Registry *prometheus.Registry
	// MetricsElsewhere: Registry is served on another listener
	// (--metrics-addr), so GET /metrics is not a route here.
	MetricsElsewhere bool
	// Stopping, when closed, ends the wait of every /revocations long poll
	// at once (each answers with what it has), so that a graceful shutdown
	// does not wait for them: close it when the server starts shutting
	// down (http.Server.RegisterOnShutdown).
	Stopping <-chan struct{}
	// CORSOrigins are the exact origins ("https://app.example") whose pages
	// may call /token, /revoke, /userinfo, /logout, /sessions and the
	// cookie endpoints, with credentials; their state-changing cookie
	// requests pass the CSRF rule. The JWKS and the metadata are readable
	// from any origin. See docs/browser.md.
	CORSOrigins []string
	// DevCookies drops Secure and the __Host-/__Secure- prefixes of the
	// browser-mode cookies, for local development over plain HTTP; New
	// refuses it unless the issuer is a loopback address.
	DevCookies bool

	// Ready is the check behind GET /readyz: nil when a write can succeed
	// now (store/resilient's Health). Default: the store's Ping.
	Ready func(context.Context) error
	// Draining, when closed, turns /readyz 503 and asks every client to
	// close its connection after its response, while requests are still
	// served: close it when SIGTERM arrives, the drain delay before the
	// listener closes.
	Draining <-chan struct{}
}

// server holds the handlers' dependencies.
type server struct {
	store     gatehouse.Store
	sessions  *session.Manager
	accounts  *account.Service
	clients   *clients.Service
	keyring   *session.Keyring
	passwords *password.Hasher
	throttle  *ratelimit.Throttle
	issuer    string
	signup    bool
	proxies   []netip.Prefix
	log       *slog.Logger
	now       func() time.Time
	audit     *audit.Recorder
	stopping  <-chan struct{}
	cors      *corsPolicy
	csrf      *guard.CSRF
	cookies   cookieJar
	assets    map[string]asset
	ready     *readiness
	drain     <-chan struct{}
	metrics   *serverMetrics
	// openapi is the OpenAPI document as this server serves it, docs the
	// files of /docs.
	openapi []byte
	docs    map[string]asset
}

// New returns the server's HTTP handler: every route of the README's
// "Endpoints" (and of /openapi.json), behind the security headers, with
// request metrics when cfg.Registry is set.
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil || cfg.Sessions == nil || cfg.Accounts == nil || cfg.Clients == nil || cfg.Keyring == nil || cfg.Passwords == nil {
		return nil, errors.New("httpapi: Store, Sessions, Accounts, Clients, Keyring and Passwords are required")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("httpapi: Issuer is required")
	}
	s := &server{
		store:     cfg.Store,
		sessions:  cfg.Sessions,
		accounts:  cfg.Accounts,
		clients:   cfg.Clients,
		keyring:   cfg.Keyring,
		passwords: cfg.Passwords,
		throttle:  cfg.Throttle,
		issuer:    strings.TrimRight(cfg.Issuer, "/"),
		signup:    cfg.Signup,
		proxies:   cfg.TrustedProxies,
		log:       cfg.Logger,
		now:       cfg.Now,
		stopping:  cfg.Stopping,
		metrics:   newServerMetrics(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.audit = audit.New(s.store, s.log, s.now)
	s.ready = &readiness{check: cfg.Ready, now: s.now}
	s.ready.wasReady.Store(true)
	if s.ready.check == nil {
		s.ready.check = s.store.Ping
	}
	s.drain = cfg.Draining
	if err := s.browserMode(cfg); err != nil {
		return nil, err
	}
	mux := newRouteMux()
	s.routes(mux)
	h, err := s.instrument(mux, s.cors.wrap(mux), cfg.Registry, cfg.MetricsElsewhere)
	if err != nil {
		return nil, err
	}
	if err = s.apiDocs(mux.patterns); err != nil {
		return nil, err
	}
	return routedHandler{withRequestID(s.secure(s.closeWhenDraining(h))), mux.patterns}, nil
}

func (s *server) routes(mux *routeMux) {
	h := s.handle
	mux.Handle("POST /token", h(s.handleToken))
	mux.Handle("POST /revoke", h(s.handleRevoke))
	mux.Handle("POST /introspect", h(s.handleIntrospect))
	mux.Handle("GET /revocations", h(s.handleRevocations))
	if s.signup {
		mux.Handle("POST /signup", h(s.handleSignup))
	}

	// The server's own bearer routes use guard, as any API does, with a
	// Verifier that decides from the store (session.Manager.Authenticate):
	// one extraction, one challenge format, no query-string tokens.
	verify := guard.Middleware(verifier{s}, guard.WithRealm(realm))
	bearer := func(h http.Handler) http.Handler { return withUserSlot(verify(h)) }
	// The caller's own routes also take browser mode's access cookie.
	self := s.selfRoutes()
	mux.Handle("POST /logout", self(h(s.handleLogout)))
	mux.Handle("GET /sessions", self(h(s.handleSessions)))
	mux.Handle("DELETE /sessions/{id}", self(h(s.handleEndSession)))
	mux.Handle("GET /userinfo", self(h(s.handleUserinfo)))
	s.browserRoutes(mux, self)

	mux.Handle("GET /.well-known/jwks.json", h(s.handleJWKS))
	mux.Handle("GET /.well-known/oauth-authorization-server", h(s.handleMetadata))
	mux.Handle("GET /.well-known/openid-configuration", h(s.handleMetadata))
	mux.HandleFunc("GET /openapi.json", s.handleOpenAPI)
	s.docsRoutes(mux)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)

	// Admin routes need gatehouse:admin, judged on the user's current
	// scopes: the verifier's claims grant only what the user still has.
	requireAdmin := guard.RequireScope(gatehouse.AdminScope)
	admin := func(fn handlerFunc) http.Handler { return bearer(requireAdmin(h(fn))) }
	mux.Handle("GET /admin/users", admin(s.handleAdminListUsers))
	mux.Handle("POST /admin/users", admin(s.handleAdminCreateUser))
	mux.Handle("GET /admin/users/{id}", admin(s.handleAdminGetUser))
	mux.Handle("PATCH /admin/users/{id}", admin(s.handleAdminUpdateUser))
	mux.Handle("DELETE /admin/users/{id}", admin(s.handleAdminDeleteUser))
	mux.Handle("POST /admin/users/{id}/revoke-sessions", admin(s.handleAdminRevokeSessions))
	mux.Handle("GET /admin/users/{id}/sessions", admin(s.handleAdminUserSessions))
	mux.Handle("DELETE /admin/users/{id}/sessions/{sid}", admin(s.handleAdminEndSession))
	mux.Handle("GET /admin/clients", admin(s.handleAdminListClients))
	mux.Handle("POST /admin/clients", admin(s.handleAdminCreateClient))
	mux.Handle("GET /admin/clients/{id}", admin(s.handleAdminGetClient))
	mux.Handle("DELETE /admin/clients/{id}", admin(s.handleAdminDeleteClient))
	mux.Handle("POST /admin/clients/{id}/rotate-secret", admin(s.handleAdminRotateClientSecret))
	mux.Handle("GET /admin/events", admin(s.handleAdminEvents))
	mux.Handle("GET /admin/keys", admin(s.handleAdminListKeys))
	mux.Handle("POST /admin/keys/rotate", admin(s.handleAdminRotateKeys))
	mux.Handle("POST /admin/keys/{kid}/revoke", admin(s.handleAdminRevokeKey))
}
