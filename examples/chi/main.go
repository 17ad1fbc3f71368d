// Command chi is a small orders API on the chi router protected by
// Gatehouse. guard's middleware is func(http.Handler) http.Handler, chi's
// own shape, so it goes in r.Use and r.With as it is.
//
//	gatehouse serve &                            # the issuer, on 127.0.0.1:8080
//	cd examples/chi && go run .                  # this API, on 127.0.0.1:8081
//	curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8081/orders
//
// GET /orders needs the scope orders:read and answers with who is asking
// (the token's claims, read with guard.ClaimsFrom); POST /orders needs
// orders:write. Without a token the answer is 401, with a token that lacks
// the scope 403 (RFC 6750 insufficient_scope).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/gatehouse/gatehouse/guard"
)

func main() {
	issuer := flag.String("issuer", envOr("GATEHOUSE_ISSUER", "http://127.0.0.1:8080"), "the Gatehouse issuer URL (env GATEHOUSE_ISSUER)")
	audience := flag.String("audience", os.Getenv("GATEHOUSE_AUDIENCE"), "the aud tokens must carry (default the issuer) (env GATEHOUSE_AUDIENCE)")
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	if *audience == "" {
		*audience = *issuer
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := guard.NewRemoteVerifier(start, *issuer, guard.WithAudience(*audience))
	if err != nil {
		slog.Error("chi example", "err", err)
		os.Exit(1)
	}
	defer v.Close()
	srv := &http.Server{Addr: *addr, Handler: routes(v), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	slog.Info("listening", "addr", *addr, "issuer", *issuer)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		slog.Error("chi example", "err", err)
		os.Exit(1)
	}
}

// routes protects every /orders route with the verifier and a scope.
func routes(v guard.Verifier) http.Handler {
	r := chi.NewRouter()
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	r.Group(func(r chi.Router) {
		r.Use(guard.Middleware(v))
		r.With(guard.RequireScope("orders:read")).Get("/orders", listOrders)
		r.With(guard.RequireScope("orders:write")).Post("/orders", createOrder)
	})
	return r
}

// listOrders answers with the caller's orders and who the caller is, as
// the verified token says.
func listOrders(w http.ResponseWriter, r *http.Request) {
	claims, ok := guard.ClaimsFrom(r.Context())
	if !ok { // unreachable behind the middleware; fail closed all the same
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"subject": claims.Subject, "scopes": claims.Scopes, "orders": []string{"a cup of tea"}})
}

func createOrder(w http.ResponseWriter, r *http.Request) {
	claims, ok := guard.ClaimsFrom(r.Context())
	if !ok {
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"subject": claims.Subject, "order": "another cup"})
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
