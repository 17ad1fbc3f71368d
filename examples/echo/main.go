// Command echo is a small orders API on the echo framework protected by
// Gatehouse. echo.WrapMiddleware runs guard's net/http middleware as an
// echo middleware, passing on the request that carries the claims;
// handlers read them with guard.ClaimsFrom.
//
//	gatehouse serve &                            # the issuer, on 127.0.0.1:8080
//	cd examples/echo && go run .                 # this API, on 127.0.0.1:8081
//	curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8081/orders
//
// GET /orders needs the scope orders:read and answers with who is asking;
// POST /orders needs orders:write. Without a token the answer is 401, with
// a token that lacks the scope 403 (RFC 6750 insufficient_scope).
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

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
		slog.Error("echo example", "err", err)
		os.Exit(1)
	}
	defer v.Close()
	e := routes(v)
	e.HideBanner = true
	go func() { <-ctx.Done(); e.Shutdown(context.Background()) }()
	slog.Info("listening", "addr", *addr, "issuer", *issuer)
	if err := e.Start(*addr); !errors.Is(err, http.ErrServerClosed) {
		slog.Error("echo example", "err", err)
		os.Exit(1)
	}
}

// routes protects every /orders route with the verifier and a scope.
func routes(v guard.Verifier) *echo.Echo {
	e := echo.New()
	e.GET("/healthz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	orders := e.Group("/orders", echo.WrapMiddleware(guard.Middleware(v)))
	orders.GET("", listOrders, echo.WrapMiddleware(guard.RequireScope("orders:read")))
	orders.POST("", createOrder, echo.WrapMiddleware(guard.RequireScope("orders:write")))
	return e
}

// listOrders answers with the caller's orders and who the caller is, as
// the verified token says.
func listOrders(c echo.Context) error {
	claims, ok := guard.ClaimsFrom(c.Request().Context())
	if !ok { // unreachable behind the middleware; fail closed all the same
		return echo.ErrUnauthorized
	}
	return c.JSON(http.StatusOK, map[string]any{"subject": claims.Subject, "scopes": claims.Scopes, "orders": []string{"a cup of tea"}})
}

func createOrder(c echo.Context) error {
	claims, ok := guard.ClaimsFrom(c.Request().Context())
	if !ok {
		return echo.ErrUnauthorized
	}
	return c.JSON(http.StatusCreated, map[string]any{"subject": claims.Subject, "order": "another cup"})
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
