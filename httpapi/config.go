package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"github.com/gatehouse/gatehouse/session"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what the server's handlers need. Store, Sessions, Keyring,
// Passwords and Issuer are required.
type Config struct {
	Store     gatehouse.Store
	Sessions  *session.Manager
	Keyring   *session.Keyring
	Passwords *password.Hasher
	// Throttle slows down password guessing; nil means no throttling.
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
	// Registry, when set, receives the request metrics and serves
	// GET /metrics.
	Registry *prometheus.Registry
}

// server holds the handlers' dependencies.
type server struct {
	store     gatehouse.Store
	sessions  *session.Manager
	keyring   *session.Keyring
	passwords *password.Hasher
	throttle  *ratelimit.Throttle
	issuer    string
	signup    bool
	proxies   []netip.Prefix
	log       *slog.Logger
	now       func() time.Time
}

// New returns the server's HTTP handler: every route of design.md §2,
// behind the security headers, with request metrics when cfg.Registry is
// set.
func New(cfg Config) (http.Handler, error) {
	if cfg.Store == nil || cfg.Sessions == nil || cfg.Keyring == nil || cfg.Passwords == nil {
		return nil, errors.New("httpapi: Store, Sessions, Keyring and Passwords are required")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("httpapi: Issuer is required")
	}
	s := &server{
		store:     cfg.Store,
		sessions:  cfg.Sessions,
		keyring:   cfg.Keyring,
		passwords: cfg.Passwords,
		throttle:  cfg.Throttle,
		issuer:    strings.TrimRight(cfg.Issuer, "/"),
		signup:    cfg.Signup,
		proxies:   cfg.TrustedProxies,
		log:       cfg.Logger,
		now:       cfg.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	mux := http.NewServeMux()
	s.routes(mux)
	var h http.Handler = mux
	h, err := s.instrument(mux, h, cfg.Registry)
	if err != nil {
		return nil, err
	}
	return s.secure(h), nil
}

func (s *server) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /token", s.handleToken)
	mux.HandleFunc("POST /revoke", s.handleRevoke)
	mux.HandleFunc("POST /introspect", s.handleIntrospect)
	mux.HandleFunc("GET /revocations", s.handleRevocations)
	if s.signup {
		mux.HandleFunc("POST /signup", s.handleSignup)
	}

	mux.Handle("POST /logout", s.bearer(http.HandlerFunc(s.handleLogout)))
	mux.Handle("GET /sessions", s.bearer(http.HandlerFunc(s.handleSessions)))
	mux.Handle("DELETE /sessions/{id}", s.bearer(http.HandlerFunc(s.handleEndSession)))
	mux.Handle("GET /userinfo", s.bearer(http.HandlerFunc(s.handleUserinfo)))

	mux.HandleFunc("GET /.well-known/jwks.json", s.handleJWKS)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.handleMetadata)
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)

	admin := func(h http.HandlerFunc) http.Handler { return s.bearer(s.requireScope(gatehouse.AdminScope, h)) }
	mux.Handle("GET /admin/users", admin(s.handleAdminListUsers))
	mux.Handle("POST /admin/users", admin(s.handleAdminCreateUser))
	mux.Handle("GET /admin/users/{id}", admin(s.handleAdminGetUser))
	mux.Handle("PATCH /admin/users/{id}", admin(s.handleAdminUpdateUser))
	mux.Handle("DELETE /admin/users/{id}", admin(s.handleAdminDeleteUser))
	mux.Handle("POST /admin/users/{id}/revoke-sessions", admin(s.handleAdminRevokeSessions))
	mux.Handle("GET /admin/events", admin(s.handleAdminEvents))
	mux.Handle("POST /admin/keys/rotate", admin(s.handleAdminRotateKeys))
}
