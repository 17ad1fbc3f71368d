// Command guardapi is the resource server of bench/load's guard
// scenarios: one handler served twice, at GET /orders without
// authentication and at GET /guarded/orders behind guard's middleware
// (a remote verifier, tokens cached until they expire) and a scope check,
// so that the ratio of the two is what guard costs a route.
//
//	GATEHOUSE_ISSUER=http://127.0.0.1:8080 GUARDAPI_ADDR=127.0.0.1:0 guardapi
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gatehouse/gatehouse/guard"
)

func main() {
	if err := run(); err != nil {
		slog.Error("guardapi", "err", err)
		os.Exit(1)
	}
}

func run() error {
	issuer, addr := os.Getenv("GATEHOUSE_ISSUER"), os.Getenv("GUARDAPI_ADDR")
	if issuer == "" || addr == "" {
		return errors.New("GATEHOUSE_ISSUER and GUARDAPI_ADDR are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := guard.NewRemoteVerifier(start, issuer, guard.WithAudience(issuer))
	if err != nil {
		return err
	}
	defer v.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", orders)
	mux.Handle("GET /guarded/orders", guard.Middleware(v)(guard.RequireScope("orders:read")(http.HandlerFunc(orders))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	slog.Info("listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// orders answers the same body on both routes; behind guard it names the
// token's subject, without it a fixed one.
func orders(w http.ResponseWriter, r *http.Request) {
	sub := "anonymous"
	if c, ok := guard.ClaimsFrom(r.Context()); ok {
		sub = c.Subject
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"subject": sub, "orders": []string{"o1", "o2"}})
}
