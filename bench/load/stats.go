package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile is the nearest-rank percentile of sorted latencies: the
// smallest value that at least p percent of them do not exceed. It is 0
// for no latencies; p is clamped to [0, 100].
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	p = math.Max(0, math.Min(100, p))
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// ratio is a/b, or NaN when b is zero.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// formatDuration prints a latency in milliseconds with about three
// significant digits.
func formatDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d == 0:
		return "–"
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// formatRatio prints a ratio with three significant digits (whole
// numbers from 100 up).
func formatRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	if r >= 100 {
		return fmt.Sprintf("%.0f×", r)
	}
	return strconv.FormatFloat(r, 'g', 3, 64) + "×"
}

// printReport writes the results as a Markdown table, then any errors.
func printReport(w io.Writer, header string, results []result) {
	byName := map[string]*result{}
	for i := range results {
		byName[results[i].name] = &results[i]
	}
	fmt.Fprintf(w, "%s\n\n", header)
	fmt.Fprintln(w, "| scenario | workers | requests | req/s | p50 | p90 | p99 | 503/429 | errors | server CPU/req | req/s ÷ baseline | p50 ÷ baseline |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for i := range results {
		r := &results[i]
		rate, p50 := "–", "–"
		if b := byName[r.baseline]; b != nil {
			rate = formatRatio(ratio(r.rate(), b.rate()))
			p50 = formatRatio(ratio(float64(percentile(r.latencies, 50)), float64(percentile(b.latencies, 50))))
			if b == r {
				rate, p50 = "1 (baseline)", "1 (baseline)"
			}
		}
		cpu := "–"
		if c, ok := r.cpuPerRequest(); ok {
			cpu = fmt.Sprintf("%.3f ms", float64(c)/float64(time.Millisecond))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %s | %s | %s | %d | %d | %s | %s | %s |\n",
			r.name, r.workers, r.ok, r.rate(),
			formatDuration(percentile(r.latencies, 50)), formatDuration(percentile(r.latencies, 90)),
			formatDuration(percentile(r.latencies, 99)), r.busy, r.errors, cpu, rate, p50)
	}
	for _, r := range results {
		if r.errors == 0 {
			continue
		}
		kinds := make([]string, 0, len(r.errorKinds))
		for k, n := range r.errorKinds {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
		}
		slices.Sort(kinds)
		fmt.Fprintf(w, "\n%s: %s (first: %s)\n", r.name, strings.Join(kinds, ", "), r.firstError)
	}
}

// failures names the scenarios with errors, or is empty.
func failures(results []result) string {
	var bad []string
	for _, r := range results {
		if r.errors > 0 {
			bad = append(bad, fmt.Sprintf("%s (%d)", r.name, r.errors))
		}
	}
	return strings.Join(bad, ", ")
}
