package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"

	"github.com/gatehouse/gatehouse/store/storemetrics"
)

// metricsOptions are the serve flags of the metrics listener
// (docs/metrics.md).
type metricsOptions struct {
	addr  string
	pprof bool
}

func addMetricsFlags(f *pflag.FlagSet, o *metricsOptions) {
	f.StringVar(&o.addr, "metrics-addr", "", "separate listen address for GET /metrics (and pprof with --pprof); "+
		"when set, /metrics is no longer served on --addr (default: /metrics on --addr; see docs/metrics.md)")
	f.BoolVar(&o.pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/ on the --metrics-addr listener")
}

// serverMetrics is the server's registry and the metrics that cmd feeds
// itself.
type serverMetrics struct {
	registry *prometheus.Registry
	// store is fed by the store decorator's Observe hook.
	store *storemetrics.Latency
}

// newServerMetrics returns a registry with the Go runtime and process
// collectors and the store-latency histogram; httpapi registers the rest.
func newServerMetrics() *serverMetrics {
	m := &serverMetrics{registry: prometheus.NewRegistry(), store: storemetrics.New()}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.registry.MustRegister(m.store.Collectors()...)
	return m
}

// serveMetrics starts the metrics listener when o.addr is set: /metrics
// from reg and, with o.pprof, /debug/pprof/. The returned stop shuts it
// down (call it when the server stops); with no o.addr it does nothing.
func serveMetrics(o metricsOptions, reg *prometheus.Registry, logger *slog.Logger) (stop func(), err error) {
	if o.addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if o.pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	// No WriteTimeout: a CPU profile or a trace streams for as long as asked.
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	// Not "listening … addr=": that line is the public listener's.
	logger.Info("serving metrics", "metrics_addr", ln.Addr().String(), "pprof", o.pprof)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	}, nil
}
