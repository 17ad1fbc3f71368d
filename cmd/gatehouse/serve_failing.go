package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/resilient"
)

// failOptions are the flags of how `gatehouse serve` fails and stops
// (docs/failures.md).
type failOptions struct {
	dbTimeout  time.Duration
	drainDelay time.Duration
}

func (o *failOptions) register(f *pflag.FlagSet) {
	f.DurationVar(&o.dbTimeout, "db-timeout", resilient.DefaultTimeout, "deadline of each database call; past it the request answers 503 with Retry-After")
	f.DurationVar(&o.drainDelay, "drain-delay", 5*time.Second, "after SIGTERM, how long /readyz answers 503 (and responses ask clients to close their connections) "+
		"before the listener closes, so that load balancers stop sending requests first; 0 closes at once")
}

// resilientStore wraps st with the per-call deadline, the 503
// classification and rate-limited failure logging; observe (when not nil)
// sees every call's operation, duration and error (the store-latency
// histogram, docs/metrics.md).
func resilientStore(st gatehouse.Store, o failOptions, logger *slog.Logger, observe func(op string, elapsed time.Duration, err error)) *resilient.Store {
	return resilient.Wrap(st, resilient.Config{Timeout: o.dbTimeout, Logger: logger, Observe: observe})
}

// drainThenShutdown is the graceful stop: draining is closed at once
// (/readyz turns 503, responses carry Connection: close), requests keep
// being served for the drain delay, then the listener closes and requests
// in flight get what is left of the shutdown timeout; the store is closed
// within it too, whatever the database does. It returns the shutdown's
// error (a drain that did not finish in time).
func drainThenShutdown(srv *http.Server, st *resilient.Store, draining chan<- struct{}, drainDelay, timeout time.Duration, logger *slog.Logger) error {
	close(draining)
	if drainDelay > 0 {
		logger.Info("draining: /readyz answers 503 before the listener closes", "drain_delay", drainDelay.String())
		time.Sleep(drainDelay)
	}
	logger.Info("shutting down: finishing requests in flight", "timeout", timeout.String())
	deadline := time.Now().Add(timeout)
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close() // the requests still running lose their connections
	}
	// The database may be frozen: its pool's close waits for connections
	// in use, so it is bounded by what is left (and a moment for a healthy
	// database to say goodbye).
	if cerr := st.CloseWithin(max(time.Until(deadline), 100*time.Millisecond)); cerr != nil {
		logger.Warn("database connections not closed cleanly", "err", cerr)
	}
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	return nil
}

// redisCallTimeout bounds every call to Redis, dial and wait for a pooled
// connection included (docs/throttling.md).
const redisCallTimeout = 500 * time.Millisecond

// boundRedis sets the client's timeouts that the URL left unset, so that
// no call waits longer than redisCallTimeout: a hung Redis (accepting
// connections and never answering) then costs a login at most that long
// before the local fallback counts it.
func boundRedis(opt *redis.Options) {
	if opt.DialTimeout == 0 {
		opt.DialTimeout = redisCallTimeout
	}
	if opt.DialerRetries == 0 {
		opt.DialerRetries = 1
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = redisCallTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = redisCallTimeout
	}
	if opt.PoolTimeout == 0 {
		opt.PoolTimeout = redisCallTimeout
	}
	// The throttle's per-call context deadline then bounds reads and
	// writes too, not only the socket timeouts.
	opt.ContextTimeoutEnabled = true
}

// redisLogger sends go-redis's own log lines (dial failures, pool
// events) to the server's logger, so --log-format json holds for them.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	l.log.LogAttrs(ctx, slog.LevelWarn, fmt.Sprintf(format, v...), slog.String("component", "redis"))
}
