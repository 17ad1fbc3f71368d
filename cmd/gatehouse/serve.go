package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/clients"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/token"
)

// serveOptions are the flags of `gatehouse serve` (docs/configuration.md).
type serveOptions struct {
	addr            string
	issuer          string
	audience        string
	accessTTL       time.Duration
	idleTTL         time.Duration
	maxAge          time.Duration
	grace           time.Duration
	alg             string
	signup          bool
	preferredName   bool
	redis           string
	redisPrefix     string
	trustedProxies  []string
	logFormat       string
	shutdownTimeout time.Duration
	corsOrigins     []string
	devCookies      bool
	keyRotation     time.Duration
	jwksMaxAge      time.Duration
	kekFile         string
	configFile      string
	// db is the root's --db, copied in for the rules of validate.go.
	db string

	fail      failOptions      // --db-timeout, --drain-delay
	retention retentionOptions // retention.go
	metrics   metricsOptions   // metrics.go
}

// Intervals of the background loops: a key rotation or revocation made by
// the CLI or another replica reaches this process within keyReloadEvery
// (gatehouse.KeyPublishMargin counts on it being a second); reading the
// keys is one small query.
const (
	keyReloadEvery = time.Second
)

func (c *cli) serveCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Long: `Run the Gatehouse server. With no flags it listens on 127.0.0.1:8080 and
keeps everything in the SQLite file ./gatehouse.db, creating it, its schema
and a signing key on first start. SIGTERM or SIGINT stops it gracefully:
/readyz answers 503 for --drain-delay while requests are still served, then
requests in flight finish and it exits 0 (docs/failures.md).`,
		Args: cobra.NoArgs,
		// Every setting is checked before anything is opened or
		// listened on (validate.go).
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			o.db = c.db
			return validateServe(&o, cmd.Flags())
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.serve(cmd.Context(), o, cmd.Flags())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (port 0 picks a free port)")
	f.StringVar(&o.issuer, "issuer", "", `the iss claim and metadata issuer (default "http://" + the listen address)`)
	f.StringVar(&o.audience, "audience", "", "default aud of access tokens (default the issuer)")
	f.DurationVar(&o.accessTTL, "access-ttl", 15*time.Minute, "access-token lifetime")
	f.DurationVar(&o.idleTTL, "refresh-idle-ttl", 336*time.Hour, "a session ends after this long unused")
	f.DurationVar(&o.maxAge, "session-max-age", 2160*time.Hour, "a session ends this long after login, used or not")
	f.DurationVar(&o.grace, "reuse-grace", 10*time.Second, "window in which a just-rotated refresh token is a retry, not theft")
	f.StringVar(&o.alg, "alg", "ES256", "signing algorithm of new keys: ES256, EdDSA or RS256. Stored for every replica; "+
		"when given and not the stored one, the next key is replaced and a rotation migrates to it (default: the stored one, ES256 on a new database)")
	f.DurationVar(&o.keyRotation, "key-rotation", 720*time.Hour, "signing-key rotation period; 0 turns scheduled rotation off. "+
		"Stored for every replica when given (default: the stored one, 720h on a new database)")
	f.DurationVar(&o.jwksMaxAge, "jwks-max-age", 5*time.Minute, "Cache-Control max-age of the JWKS; a next key is published this long before it signs. "+
		"Stored for every replica when given (default: the stored one, 5m on a new database)")
	f.StringVar(&o.kekFile, "key-encryption-key-file", "", kekFlagUsage)
	f.BoolVar(&o.signup, "signup", false, "open POST /signup")
	f.BoolVar(&o.preferredName, "preferred-username", false, "put the user's name in access tokens as preferred_username")
	f.StringVar(&o.redis, "redis", "", "Redis URL for shared throttling counters (default: in-process counters)")
	f.StringVar(&o.redisPrefix, "redis-prefix", "gatehouse:", "prefix of the throttling keys in Redis; the same on every replica, another for each deployment sharing one Redis")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxies", nil, "CIDRs (comma-separated) whose X-Forwarded-For is believed")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a graceful shutdown waits for requests in flight")
	f.StringSliceVar(&o.corsOrigins, "cors-origins", nil, "exact origins (comma-separated, scheme://host[:port]) whose pages may call /token, /revoke, /userinfo, /logout, /sessions and /session/* with credentials (see docs/browser.md)")
	f.StringVar(&o.configFile, configFlag, "", "a TOML (.toml) or YAML (.yaml, .yml) file whose keys are these flags' names; "+
		"a flag or its env twin overrides it (see docs/configuration.md)")
	f.BoolVar(&o.devCookies, "dev-cookies", false, "plain-HTTP browser-mode cookies, without Secure and the __Host-/__Secure- prefixes, for local development (needs a loopback issuer)")
	o.fail.register(f)
	addRetentionFlags(f, &o.retention)
	addMetricsFlags(f, &o.metrics)
	return cmd
}

func (c *cli) serve(ctx context.Context, o serveOptions, flags *pflag.FlagSet) error {
	given := flags.Changed
	logger, err := newLogger(o.logFormat, c.stderr)
	if err != nil {
		return err
	}
	proxies, err := parsePrefixes(o.trustedProxies)
	if err != nil {
		return err
	}
	alg, err := parseAlg(o.alg)
	if err != nil {
		return err
	}
	// Checked by serveRules before serve runs (validate.go).
	retention, housekeepingEvery := o.retention.retention()

	raw, err := c.openMigrated(ctx)
	if err != nil {
		return err
	}
	// Every store call from here on has a deadline, and an unreachable
	// database answers 503 (store/resilient).
	metrics := newServerMetrics()
	st := resilientStore(raw, o.fail, logger, metrics.store.Observe)
	defer st.Close()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	issuer := o.issuer
	if issuer == "" {
		issuer = defaultIssuer(ln.Addr().String())
	}

	kek, err := c.loadKEK(ctx, st, o.kekFile, true)
	if err != nil {
		return err
	}
	logger.Info("key-encryption key", "source", kek.source, "kek_id", kek.kek.ID())
	if kek.warning != "" {
		logger.Warn(kek.warning)
	}
	// The key policy is the deployment's: flags given to this server
	// change it for every replica; flags left out keep what is stored. It
	// is applied first, so that the keys of a new database are of the
	// configured algorithm from the start.
	var change session.KeyPolicyChange
	if given("alg") {
		change.Algorithm = alg
	}
	if given("key-rotation") {
		change.Rotation = &o.keyRotation
	}
	if given("jwks-max-age") {
		change.JWKSMaxAge = &o.jwksMaxAge
	}
	keyCfg := session.KeyringConfig{KEK: kek.kek, Logger: logger, Audit: audit.New(st, logger, nil)}
	if err := session.CheckKEK(ctx, st, kek.kek); err != nil {
		return err
	}
	if _, err := session.ApplyKeyPolicy(ctx, st, change, keyCfg, "a server started with --alg, --key-rotation or --jwks-max-age"); err != nil {
		return err
	}
	keyring, err := session.LoadKeyring(ctx, st, keyCfg)
	if err != nil {
		return err
	}
	// A new algorithm replaces the next key now; a rotation due is done.
	if err := keyring.Maintain(ctx); err != nil {
		return err
	}
	p := keyring.Policy()
	audience := o.audience
	if audience == "" {
		audience = issuer
	}
	logger.Info("settings", c.settingsAttrs(flags, map[string]any{
		"issuer": issuer, "audience": audience, "alg": string(p.Algorithm),
		"key-rotation": p.Rotation.String(), "jwks-max-age": p.JWKSMaxAge.String(),
	})...)
	logger.Info("signing keys", "alg", p.Algorithm, "rotation", p.Rotation.String(), "jwks_max_age", p.JWKSMaxAge.String(),
		"active_kid", keyring.ActiveKey().ID())

	sessions, err := session.New(session.Config{
		Store:     st,
		Keyring:   keyring,
		Issuer:    issuer,
		Audience:  o.audience,
		AccessTTL: o.accessTTL,
		IdleTTL:   o.idleTTL,
		MaxAge:    o.maxAge,
		Grace:     o.grace,
		Logger:    logger,

		PreferredUsername: o.preferredName,
		Retention:         retention,
	})
	if err != nil {
		return err
	}
	hasher, err := password.New(password.Config{})
	if err != nil {
		return err
	}
	throttle, closeThrottle, err := newThrottle(o.redis, o.redisPrefix, logger)
	if err != nil {
		return err
	}
	defer closeThrottle()

	accounts, err := account.New(account.Config{
		Store:     st,
		Passwords: hasher,
		Sessions:  sessions,
		Throttle:  throttle,
		Logger:    logger,
	})
	if err != nil {
		return err
	}
	// Closed when the shutdown starts: long polls of the revocation feed
	// answer at once instead of holding the drain for their wait.
	stopping := make(chan struct{})
	// Closed when SIGTERM arrives, the drain delay before the listener
	// closes: /readyz turns 503.
	draining := make(chan struct{})
	cls, err := clients.New(clients.Config{Store: st, Passwords: hasher, Throttle: throttle, Logger: logger})
	if err != nil {
		return err
	}
	handler, err := httpapi.New(httpapi.Config{
		Store:          st,
		Sessions:       sessions,
		Accounts:       accounts,
		Clients:        cls,
		Keyring:        keyring,
		Passwords:      hasher,
		Throttle:       throttle,
		Issuer:         issuer,
		Signup:         o.signup,
		TrustedProxies: proxies,
		Logger:         logger,
		Registry:       metrics.registry,
		// With --metrics-addr, /metrics is on that listener only.
		MetricsElsewhere: o.metrics.addr != "",
		Stopping:         stopping,
		CORSOrigins:      splitList(o.corsOrigins),
		DevCookies:       o.devCookies,

		Ready:    st.Health,
		Draining: draining,
	})
	if err != nil {
		return err
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	go keyring.Run(bg, keyReloadEvery)
	go sessions.RunHousekeeping(bg, housekeepingEvery)

	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// Request headers are capped at 64 KiB (net/http's default is 1 MiB):
		// an 8 KiB token fits many times over; a megabyte of dots does not.
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return bg },
	}
	srv.RegisterOnShutdown(func() { close(stopping) })
	stopMetrics, err := serveMetrics(o.metrics, metrics.registry, logger)
	if err != nil {
		return err
	}
	defer stopMetrics()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "issuer", issuer, "db", redactDSN(c.db), "version", versionString())

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	if err := drainThenShutdown(srv, st, draining, o.fail.drainDelay, o.shutdownTimeout, logger); err != nil {
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// defaultIssuer is "http://" + the address the server listens on; an
// unspecified host (":8080", "0.0.0.0:8080") becomes localhost, which is
// what a client on the same machine dials.
func defaultIssuer(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// newLogger is the server's logger; every line logged while serving a
// request carries the request's id (httpapi.LogHandler).
func newLogger(format string, w interface{ Write([]byte) (int, error) }) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(httpapi.LogHandler(slog.NewTextHandler(w, nil))), nil
	case "json":
		return slog.New(httpapi.LogHandler(slog.NewJSONHandler(w, nil))), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}

// splitList reads a list flag whose items are separated by commas or
// spaces (an env twin may use either).
func splitList(list []string) []string {
	var out []string
	for _, item := range list {
		out = append(out, strings.Fields(strings.ReplaceAll(item, ",", " "))...)
	}
	return out
}

// parsePrefixes reads --trusted-proxies: CIDRs or single addresses,
// separated by commas or spaces.
func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range list {
		for _, s := range strings.Fields(strings.ReplaceAll(item, ",", " ")) {
			if p, err := netip.ParsePrefix(s); err == nil {
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is neither a CIDR nor an address", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out, nil
}

func parseAlg(s string) (token.Algorithm, error) {
	switch a := token.Algorithm(s); a {
	case token.ES256, token.EdDSA, token.RS256:
		return a, nil
	default:
		return "", fmt.Errorf("--alg %q: want ES256, EdDSA or RS256", s)
	}
}

// newThrottle builds the login throttle: in-process counters, or Redis
// counters shared by every replica when redisURL is set, their keys under
// prefix. Its warnings go to the server's logger.
func newThrottle(redisURL, prefix string, logger *slog.Logger) (*ratelimit.Throttle, func(), error) {
	cfg := ratelimit.Config{Logger: logger, BackendTimeout: redisCallTimeout}
	if redisURL == "" {
		return ratelimit.New(ratelimit.NewMemory(time.Now), cfg), func() {}, nil
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--redis: %w", err)
	}
	boundRedis(opt)
	redis.SetLogger(redisLogger{logger})
	client := redis.NewClient(opt)
	return ratelimit.New(ratelimit.NewRedis(client, prefix), cfg), func() { client.Close() }, nil
}
