package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one scenario's measurement.
type result struct {
	name, baseline string
	workers        int
	ok             int64           // 2xx answers
	busy           int64           // 503 + Retry-After, where allowed
	errors         int64           // anything else
	elapsed        time.Duration   // from the start to the last answer
	latencies      []time.Duration // of the 2xx answers, sorted
	errorKinds     map[string]int64
	firstError     string
	cpu            time.Duration // the server's CPU time during the measurement
	cpuKnown       bool
}

// cpuPerRequest is the server's CPU time per answered request; false when
// unknown.
func (r *result) cpuPerRequest() (time.Duration, bool) {
	if !r.cpuKnown || r.ok == 0 {
		return 0, false
	}
	return r.cpu / time.Duration(r.ok), true
}

// rate is successful requests per second.
func (r *result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

// workerTally is what one worker counts, merged after the run.
type workerTally struct {
	latencies  []time.Duration
	busy, errs int64
	kinds      map[string]int64
	firstError string
}

// runScenario runs sc's workers until d has passed or maxRequests have
// been sent. A worker starts no request after the deadline; requests in
// flight finish (each is bounded by the client's timeout) and count.
func runScenario(ctx context.Context, sc *scenario, d time.Duration, maxRequests int64) result {
	fns := make([]func(context.Context) outcome, sc.workers)
	for i := range fns {
		fns[i] = sc.newWorker(i)
	}
	tallies := make([]workerTally, sc.workers)
	var sent atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range fns {
		wg.Go(func() {
			t := &tallies[i]
			t.kinds = map[string]int64{}
			for ctx.Err() == nil && time.Now().Before(deadline) && sent.Add(1) <= maxRequests {
				t0 := time.Now()
				out := fns[i](ctx)
				lat := time.Since(t0)
				switch kind := classify(out, sc.allowBusy); kind {
				case "":
					t.latencies = append(t.latencies, lat)
				case "busy":
					t.busy++
					// A client does as Retry-After says; the wait is not load.
					if left := time.Until(deadline); left > 0 {
						sleep(ctx, min(out.retryAfter, left))
					}
				default:
					t.errs++
					t.kinds[kind]++
					if t.firstError == "" {
						t.firstError = fmt.Sprintf("%s: %v", kind, out.err)
					}
				}
			}
		})
	}
	wg.Wait()
	r := result{name: sc.name, baseline: sc.baseline, workers: sc.workers, elapsed: time.Since(start), errorKinds: map[string]int64{}}
	for _, t := range tallies {
		r.latencies = append(r.latencies, t.latencies...)
		r.busy += t.busy
		r.errors += t.errs
		for k, n := range t.kinds {
			r.errorKinds[k] += n
		}
		if r.firstError == "" {
			r.firstError = t.firstError
		}
	}
	r.ok = int64(len(r.latencies))
	slices.Sort(r.latencies)
	return r
}

// classify returns "" for a success, "busy" for the documented answers of
// a password login that was not checked (where allowed): 503 of a full
// hashing queue, and 429 of the throttle, which counts logins in flight
// (more than its free attempts of one account from one address at once get
// 429 until one of them succeeds), both with Retry-After; otherwise the
// kind of error.
func classify(out outcome, allowBusy bool) string {
	busy := out.status == http.StatusServiceUnavailable || out.status == http.StatusTooManyRequests
	switch {
	case out.status == 0:
		return "transport error"
	case out.status/100 == 2 && out.err == nil:
		return ""
	case out.status/100 == 2:
		return "bad 2xx body"
	case busy && allowBusy && out.retryAfter > 0:
		return "busy"
	case busy && allowBusy:
		return fmt.Sprintf("%d without Retry-After", out.status)
	}
	return fmt.Sprintf("HTTP %d", out.status)
}
