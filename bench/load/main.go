// Command load is Gatehouse's HTTP load harness. It measures the server's
// HTTP paths, each beside a baseline measured in the same run, and prints
// one Markdown table: requests, requests per second, p50/p90/p99 latency,
// 503s, errors and the throughput ratio to the baseline.
//
//	go run ./bench/load                          # every scenario, 8 workers, 5 s each
//	go run ./bench/load -scenarios userinfo,refresh -workers 4 -duration 10s
//	go run ./bench/load -url http://127.0.0.1:8080 -db sqlite:gatehouse.db
//
// Without -url it builds cmd/gatehouse and examples/goapi into a temporary
// directory (run it from inside the module) and starts `gatehouse serve` on
// a free loopback port with a temporary SQLite database. It creates a user
// with `gatehouse user add` and logs each worker in before any scenario.
//
// Scenarios (baselines run whenever a scenario compared with them does);
// NAME@N runs a scenario with N workers instead of -workers (refresh@32):
//
//	healthz         GET /healthz: the server's baseline
//	jwks            GET /.well-known/jwks.json
//	userinfo        GET /userinfo with a valid token (verification and a database read)
//	introspect      POST /introspect (RFC 7662) of a valid token by a confidential client
//	refresh         POST /token grant_type=refresh_token; each worker chains its own session
//	cookie-refresh  POST /session/refresh with the refresh cookie (browser mode), chained likewise
//	password        POST /token grant_type=password (argon2id, bounded concurrency)
//	password-burst  the same with -burst-workers, past the hashing bound: 503 + Retry-After
//	goapi-healthz   GET /healthz of examples/goapi: the unprotected baseline
//	goapi-orders    GET /orders of examples/goapi with a token guard has cached
//	guard-bare      GET /orders of bench/guardapi without authentication: the guard baseline
//	guard-cached    GET /guarded/orders of bench/guardapi: the same handler behind guard
//
// The CPU column is the CPU time (user and system, from /proc/PID/stat)
// the server process spent per answered request during the measurement:
// gatehouse serve for its scenarios, bench/guardapi or examples/goapi for
// theirs. It is empty with -url.
//
// -postgres URL runs the started server on PostgreSQL, in a new schema
// dropped at the end; -gatehouse BIN starts a prebuilt binary (an older
// build) so that two builds are compared by the same harness on the same
// machine, run after run.
//
// A 503 with Retry-After on the password scenarios is the documented answer
// of a full hashing queue, and a 429 with Retry-After that of the throttle,
// which counts logins in flight (one account from one address gets its
// free attempts at once, then 429 until one of them succeeds): both are
// counted apart, in the 503/429 column, and the worker waits as
// Retry-After asks. Every other non-2xx answer or transport failure is an
// error, and any error makes the exit status 1.
//
// Speed is measured as ratios: a shared machine is noisy, so compare the
// ratio column across runs and machines, not the absolute figures. No test
// asserts a timing; load_test.go checks the statistics only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	scenarios    []string
	workers      int
	burstWorkers int
	duration     time.Duration
	warmup       time.Duration
	maxRequests  int64
	url          string
	db           string
	postgres     string // a PostgreSQL URL: the started server uses a fresh schema of it
	bin          string // a prebuilt gatehouse to start instead of this checkout's
	timeout      time.Duration
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	var o options
	var scen string
	fs.StringVar(&scen, "scenarios", "all", "comma-separated scenarios ("+strings.Join(scenarioNames, ", ")+") or all")
	fs.IntVar(&o.workers, "workers", 8, "concurrent workers per scenario")
	fs.IntVar(&o.burstWorkers, "burst-workers", 128, "concurrent workers of password-burst (enough to fill the hashing queue past its wait)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured duration of each scenario")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured run of each scenario before its measurement")
	fs.Int64Var(&o.maxRequests, "max-requests", 1_000_000, "upper bound on the requests of one scenario's measurement")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "bound on each request")
	fs.StringVar(&o.url, "url", "", "base URL of a running Gatehouse on loopback (default: build and start one)")
	fs.StringVar(&o.db, "db", "", "with -url: that server's --db, where the bench user is added")
	fs.StringVar(&o.postgres, "postgres", "", "without -url: run the server on this PostgreSQL database, in a schema of its own (dropped at the end)")
	fs.StringVar(&o.bin, "gatehouse", "", "without -url: start this gatehouse binary (another build, for a before/after comparison)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.workers < 1 || o.burstWorkers < 1:
		return o, errors.New("-workers and -burst-workers must be at least 1")
	case o.duration <= 0 || o.warmup < 0 || o.timeout <= 0:
		return o, errors.New("-duration and -timeout must be positive, -warmup not negative")
	case o.maxRequests < 1:
		return o, errors.New("-max-requests must be at least 1")
	case o.url != "" && o.db == "":
		return o, errors.New("-url needs -db (the bench user is added with gatehouse user add)")
	case o.url == "" && o.db != "":
		return o, errors.New("-db is for -url; without it the harness uses a temporary database")
	case o.url != "" && (o.postgres != "" || o.bin != ""):
		return o, errors.New("-postgres and -gatehouse are for the server the harness starts, not with -url")
	}
	if o.url != "" {
		if err := checkLoopback(o.url); err != nil {
			return o, err
		}
		o.url = strings.TrimRight(o.url, "/")
	}
	sel, err := selectScenarios(scen)
	if err != nil {
		return o, err
	}
	o.scenarios = sel
	return o, nil
}

// selectScenarios parses -scenarios and adds the baselines of those chosen,
// in the order of scenarioNames.
func selectScenarios(s string) ([]string, error) {
	if s == "all" {
		return slices.Clone(scenarioNames), nil
	}
	want := map[string]bool{}
	var extra []string // NAME@WORKERS, in the order given
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		base, _, err := splitWorkers(name)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(scenarioNames, base) {
			return nil, fmt.Errorf("unknown scenario %q (have %s, each optionally @WORKERS)", name, strings.Join(scenarioNames, ", "))
		}
		want[baselineOf(base)] = true
		if base != name {
			if !slices.Contains(extra, name) {
				extra = append(extra, name)
			}
			continue
		}
		want[name] = true
	}
	var out []string
	for _, name := range scenarioNames {
		if want[name] {
			out = append(out, name)
		}
	}
	return append(out, extra...), nil
}

func run(ctx context.Context, o options) error {
	env, err := setUp(ctx, o)
	if env != nil {
		defer env.close()
	}
	if err != nil {
		return err
	}
	results := make([]result, 0, len(o.scenarios))
	for _, name := range o.scenarios {
		sc, err := env.scenario(ctx, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "load: %s: %d workers, %v\n", name, sc.workers, o.duration)
		if o.warmup > 0 {
			runScenario(ctx, sc, o.warmup, o.maxRequests)
		}
		cpu0 := procCPU(sc.pid)
		r := runScenario(ctx, sc, o.duration, o.maxRequests)
		if cpu1 := procCPU(sc.pid); cpu0 >= 0 && cpu1 >= 0 {
			r.cpu, r.cpuKnown = cpu1-cpu0, true
		}
		results = append(results, r)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	printReport(os.Stdout, env.describe(o), results)
	if failed := failures(results); failed != "" {
		return fmt.Errorf("unexpected answers: %s", failed)
	}
	return nil
}
