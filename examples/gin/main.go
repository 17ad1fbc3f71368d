// Command gin is a small orders API on the gin framework protected by
// Gatehouse. gin's middleware is a gin.HandlerFunc rather than net/http's
// func(http.Handler) http.Handler, so guard's middleware is adapted by
// fromNetHTTP below (a dozen lines to copy); handlers read the claims from
// the request's context with guard.ClaimsFrom.
//
//	gatehouse serve &                            # the issuer, on 127.0.0.1:8080
//	cd examples/gin && go run .                  # this API, on 127.0.0.1:8081
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

	"github.com/gin-gonic/gin"

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
		slog.Error("gin example", "err", err)
		os.Exit(1)
	}
	defer v.Close()
	gin.SetMode(gin.ReleaseMode)
	srv := &http.Server{Addr: *addr, Handler: routes(v), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	slog.Info("listening", "addr", *addr, "issuer", *issuer)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		slog.Error("gin example", "err", err)
		os.Exit(1)
	}
}

// routes protects every /orders route with the verifier and a scope.
func routes(v guard.Verifier) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusOK) })
	orders := r.Group("/orders", fromNetHTTP(guard.Middleware(v)))
	orders.GET("", fromNetHTTP(guard.RequireScope("orders:read")), listOrders)
	orders.POST("", fromNetHTTP(guard.RequireScope("orders:write")), createOrder)
	return r
}

// fromNetHTTP runs a net/http middleware as a gin middleware: when it
// calls its next handler the gin chain goes on with the request it passed
// (carrying the claims); when it answers itself (401, 403) the chain
// stops. Failing closed: a middleware that neither answers nor calls next
// stops the chain too.
func fromNetHTTP(mw func(http.Handler) http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		next := false
		mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			next = true
			c.Request = r
		})).ServeHTTP(c.Writer, c.Request)
		if !next {
			c.Abort()
			return
		}
		c.Next()
	}
}

// listOrders answers with the caller's orders and who the caller is, as
// the verified token says.
func listOrders(c *gin.Context) {
	claims, ok := guard.ClaimsFrom(c.Request.Context())
	if !ok { // unreachable behind the middleware; fail closed all the same
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.JSON(http.StatusOK, gin.H{"subject": claims.Subject, "scopes": claims.Scopes, "orders": []string{"a cup of tea"}})
}

func createOrder(c *gin.Context) {
	claims, ok := guard.ClaimsFrom(c.Request.Context())
	if !ok {
		c.AbortWithStatus(http.StatusUnauthorized)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"subject": claims.Subject, "order": "another cup"})
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
