package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse/internal/testdb"
)

// The harness's arithmetic on known inputs; no test here times anything.

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileIsTheNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	ten := hundred[:10]
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no latencies", nil, 50, 0},
		{"one latency is every percentile", []time.Duration{ms(7)}, 99, ms(7)},
		{"p50 of 1..100", hundred, 50, ms(50)},
		{"p90 of 1..100", hundred, 90, ms(90)},
		{"p99 of 1..100", hundred, 99, ms(99)},
		{"p100 is the maximum", hundred, 100, ms(100)},
		{"p0 is the minimum", hundred, 0, ms(1)},
		{"p50 of 1..10", ten, 50, ms(5)},
		{"p90 of 1..10", ten, 90, ms(9)},
		{"p99 of 1..10 rounds up to the maximum", ten, 99, ms(10)},
		{"p out of range is clamped", ten, 150, ms(10)},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: percentile(p=%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestRatioAndRate(t *testing.T) {
	r := result{ok: 500, elapsed: 2 * time.Second}
	if got := r.rate(); got != 250 {
		t.Errorf("rate = %v, want 250", got)
	}
	if got := ratio(250, 1000); got != 0.25 {
		t.Errorf("ratio = %v, want 0.25", got)
	}
	if !math.IsNaN(ratio(1, 0)) || formatRatio(ratio(1, 0)) != "–" {
		t.Error("a ratio to a zero baseline must be shown as –")
	}
	if got := formatRatio(0.0123456); got != "0.0123×" {
		t.Errorf("formatRatio = %q", got)
	}
	if got := formatRatio(2234.4); got != "2234×" {
		t.Errorf("formatRatio = %q", got)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		out       outcome
		allowBusy bool
		want      string
	}{
		{outcome{status: 200}, false, ""},
		{outcome{status: 204}, false, ""},
		{outcome{status: 200, err: errNoToken}, false, "bad 2xx body"},
		{outcome{status: 503, retryAfter: time.Second}, true, "busy"},
		{outcome{status: 503}, true, "503 without Retry-After"},
		{outcome{status: 503, retryAfter: time.Second}, false, "HTTP 503"},
		{outcome{status: 401}, true, "HTTP 401"},
		{outcome{status: 429, retryAfter: time.Second}, true, "busy"},
		{outcome{status: 429}, true, "429 without Retry-After"},
		{outcome{status: 429, retryAfter: time.Second}, false, "HTTP 429"},
		{outcome{}, false, "transport error"},
	}
	for _, tt := range tests {
		if got := classify(tt.out, tt.allowBusy); got != tt.want {
			t.Errorf("classify(%+v, %v) = %q, want %q", tt.out, tt.allowBusy, got, tt.want)
		}
	}
}

func TestSelectScenariosAddsBaselines(t *testing.T) {
	got, err := selectScenarios("goapi-orders,refresh")
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, ","); s != "healthz,refresh,goapi-healthz,goapi-orders" {
		t.Errorf("got %s", s)
	}
	if _, err := selectScenarios("nope"); err == nil {
		t.Error("an unknown scenario must be refused")
	}
	got, err = selectScenarios("refresh@128,guard-cached,refresh@32")
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, ","); s != "healthz,guard-bare,guard-cached,refresh@128,refresh@32" {
		t.Errorf("with worker counts: got %s", s)
	}
	for _, bad := range []string{"refresh@0", "refresh@x", "nope@8"} {
		if _, err := selectScenarios(bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func TestProcCPUReadsThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	before := procCPU(os.Getpid())
	deadline := time.Now().Add(200 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	after := procCPU(os.Getpid())
	if before < 0 || after <= before {
		t.Errorf("procCPU before and after 200 ms of spinning: %v, %v; want a growing CPU time", before, after)
	}
	if procCPU(0) != -1 {
		t.Error("procCPU(0) must be unknown")
	}
}

func TestOnlyLoopbackURLs(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://[::1]:8080"} {
		if err := checkLoopback(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://example.com", "https://127.0.0.1:8080", "http://10.0.0.1", "http://localhost:8080"} {
		if err := checkLoopback(u); err == nil {
			t.Errorf("%s was accepted", u)
		}
	}
}

func TestReportShowsRatiosAndErrors(t *testing.T) {
	results := []result{
		{name: "healthz", baseline: "healthz", workers: 2, ok: 1000, elapsed: time.Second,
			latencies: []time.Duration{ms(1), ms(1), ms(2)}, errorKinds: map[string]int64{}},
		{name: "userinfo", baseline: "healthz", workers: 2, ok: 250, errors: 3, elapsed: time.Second, cpu: ms(500), cpuKnown: true,
			latencies: []time.Duration{ms(4), ms(4), ms(5)}, errorKinds: map[string]int64{"HTTP 401": 3}, firstError: "HTTP 401: <nil>"},
	}
	var b strings.Builder
	printReport(&b, "header", results)
	out := b.String()
	for _, want := range []string{
		"| healthz | 2 | 1000 | 1000 | 1.00 ms | 2.00 ms | 2.00 ms | 0 | 0 | – | 1 (baseline) | 1 (baseline) |",
		"| userinfo | 2 | 250 | 250 | 4.00 ms | 5.00 ms | 5.00 ms | 0 | 3 | 2.000 ms | 0.25× | 4× |",
		"userinfo: HTTP 401 ×3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if got := failures(results); got != "userinfo (3)" {
		t.Errorf("failures = %q", got)
	}
}

// -postgres with the server's pool settings in the URL: the harness's own
// connection must not send them to PostgreSQL (which refuses unknown
// parameters), and the server's --db keeps them.
func TestPostgresSchemaTakesAURLWithPoolSettings(t *testing.T) {
	base := testdb.PostgresURL()
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	if _, err := pgx.Connect(t.Context(), base); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("PostgreSQL unreachable (%v); CI=true fails instead", err)
		}
		t.Fatalf("PostgreSQL unreachable under CI=true: %v", err)
	}
	dsn, drop, err := pgSchema(t.Context(), base+sep+"pool_max_conns=8")
	if err != nil {
		t.Fatalf("pgSchema with pool_max_conns: %v", err)
	}
	defer drop()
	if !strings.Contains(dsn, "pool_max_conns=8") || !strings.Contains(dsn, "search_path") {
		t.Errorf("--db %q lost the pool setting or the schema", dsn)
	}
}
