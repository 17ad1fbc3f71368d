// Command goapi is a small orders API protected by Gatehouse: it verifies
// access tokens locally with the keys Gatehouse publishes (discovered from
// the issuer's RFC 8414 metadata) and enforces a scope per route with guard.
//
//	gatehouse serve &                          # the issuer, on 127.0.0.1:8080
//	go run ./examples/goapi                    # this API, on 127.0.0.1:8081
//	curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8081/orders
//
// GET /orders needs the scope orders:read and answers with who is asking
// (the token's claims, read with guard.ClaimsFrom); POST /orders needs
// orders:write. Without a token the answer is 401, with a token that lacks
// the scope 403 (RFC 6750 insufficient_scope).
//
// With GATEHOUSE_CLIENT_ID and GATEHOUSE_CLIENT_SECRET set (a client made
// with `gatehouse client add orders-api`), it follows Gatehouse's
// revocation feed: a token logged out, revoked, or of a user whose password
// changed is refused within moments, with no call to Gatehouse per
// request. GET /metrics then shows the feed's staleness
// (gatehouse_guard_revocation_feed_staleness_seconds);
// GATEHOUSE_FEED_MAX_STALENESS (say 2m) makes it answer 503 rather than
// trust a feed it has not heard from for longer.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/guard/guardprom"
)

func main() {
	if err := run(); err != nil {
		slog.Error("goapi", "err", err)
		os.Exit(1)
	}
}

func run() error {
	issuer := flag.String("issuer", envOr("GATEHOUSE_ISSUER", "http://127.0.0.1:8080"), "the Gatehouse issuer URL (env GATEHOUSE_ISSUER)")
	audience := flag.String("audience", os.Getenv("GATEHOUSE_AUDIENCE"), "the aud tokens must carry (default the issuer, as Gatehouse's default) (env GATEHOUSE_AUDIENCE)")
	addr := flag.String("addr", envOr("GOAPI_ADDR", "127.0.0.1:8081"), "listen address (env GOAPI_ADDR)")
	flag.Parse()
	if *audience == "" {
		*audience = *issuer
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	opts := []guard.Option{guard.WithAudience(*audience), guard.WithLogger(slog.Default())}
	id, secret := os.Getenv("GATEHOUSE_CLIENT_ID"), os.Getenv("GATEHOUSE_CLIENT_SECRET")
	if id != "" && secret != "" {
		opts = append(opts, guard.WithRevocationFeed(id, secret))
		if v := os.Getenv("GATEHOUSE_FEED_MAX_STALENESS"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("GATEHOUSE_FEED_MAX_STALENESS: %w", err)
			}
			opts = append(opts, guard.WithMaxStaleness(d))
		}
	}
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	verifier, err := guard.NewRemoteVerifier(startCtx, *issuer, opts...)
	if err != nil {
		return err
	}
	defer verifier.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := routes(verifier)
	if feed := verifier.Feed(); feed != nil {
		reg := prometheus.NewRegistry()
		reg.MustRegister(guardprom.NewCollector(feed))
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	slog.Info("listening", "addr", ln.Addr().String(), "issuer", *issuer, "revocation_feed", verifier.Feed() != nil)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// routes protects every /orders route with the verifier and a scope.
func routes(v guard.Verifier) *http.ServeMux {
	protect := guard.Middleware(v)
	mux := http.NewServeMux()
	mux.Handle("GET /orders", protect(guard.RequireScope("orders:read")(http.HandlerFunc(listOrders))))
	mux.Handle("POST /orders", protect(guard.RequireScope("orders:write")(http.HandlerFunc(createOrder))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return mux
}

// order is what this toy API sells.
type order struct {
	ID   string `json:"id"`
	Item string `json:"item"`
}

// listOrders answers with the caller's orders and who the caller is, as the
// verified token says.
func listOrders(w http.ResponseWriter, r *http.Request) {
	claims, ok := guard.ClaimsFrom(r.Context())
	if !ok { // unreachable behind Middleware; fail closed all the same
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"subject":    claims.Subject,
		"scopes":     claims.Scopes,
		"client_id":  claims.ClientID,
		"session_id": claims.SessionID,
		"orders":     []order{{ID: "1", Item: "a cup of tea"}},
	})
}

func createOrder(w http.ResponseWriter, r *http.Request) {
	claims, ok := guard.ClaimsFrom(r.Context())
	if !ok {
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"subject": claims.Subject, "order": order{ID: "2", Item: "another cup"}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
