// Command soak runs `gatehouse serve` on SQLite under a steady mixed load
// for a while and samples, every few seconds, the server's resident memory
// (VmRSS), its threads and goroutines, and the database's size on disk.
// It writes the samples as CSV; plot.py draws them (docs/soak.png) and
// docs/operations.md reports them. It is run by hand, not in CI:
//
//	go run ./bench/soak -duration 10m -csv /tmp/soak.csv
//	python3 bench/soak/plot.py /tmp/soak.csv docs/soak.png
//
// The server runs with lifetimes and retention shortened (a session idles
// out after 1m, ended sessions are kept 1m, events 3m, housekeeping every
// 15s), so that ten minutes show what months of the defaults would: the
// database grows while the first sessions are alive, then levels off once
// housekeeping deletes as much as the load adds. Each worker logs in,
// refreshes a few times, reads /userinfo, then either revokes its session
// or abandons it to the idle timeout.
//
// Goroutines are read from go_goroutines on /metrics when the server
// exports it (-metrics-url, default the server's own /metrics); the
// threads come from /proc/PID/status. Linux only.
package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	duration := flag.Duration("duration", 10*time.Minute, "how long the load runs")
	every := flag.Duration("every", 5*time.Second, "sampling interval")
	workers := flag.Int("workers", 4, "concurrent clients")
	csvPath := flag.String("csv", "soak.csv", "where the samples go")
	metricsURL := flag.String("metrics-url", "", "a /metrics URL with go_goroutines (default the server's /metrics)")
	bin := flag.String("bin", "", "a gatehouse binary to run (default: build cmd/gatehouse)")
	extra := flag.String("serve-flags", "", "more flags for gatehouse serve, space-separated (e.g. --metrics-addr 127.0.0.1:9090)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *duration, *every, *workers, *csvPath, *metricsURL, *bin, strings.Fields(*extra)); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, duration, every time.Duration, workers int, csvPath, metricsURL, bin string, extra []string) error {
	dir, err := os.MkdirTemp("", "gatehouse-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "gatehouse")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/gatehouse/gatehouse/cmd/gatehouse").CombinedOutput(); err != nil {
			return fmt.Errorf("go build (run from inside the gatehouse module): %w\n%s", err, out)
		}
	}
	dbPath := filepath.Join(dir, "gatehouse.db")
	db := "sqlite:" + dbPath
	for i := range workers {
		cmd := exec.CommandContext(ctx, bin, "user", "add", fmt.Sprintf("soak%d", i), "--password-stdin", "--db", db)
		cmd.Stdin = strings.NewReader("soak-password-" + strconv.Itoa(i) + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("user add: %w\n%s", err, out)
		}
	}
	srv := exec.Command(bin, append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--log-format", "json",
		"--access-ttl", "1m", "--refresh-idle-ttl", "1m", "--retain-ended-sessions", "1m", "--retain-events", "3m",
		"--housekeeping-interval", "15s"}, extra...)...)
	stderr, err := srv.StderrPipe()
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	base, err := listenAddr(stderr)
	if err != nil {
		return err
	}
	if metricsURL == "" {
		metricsURL = base + "/metrics"
	}

	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write([]string{"seconds", "rss_bytes", "threads", "goroutines", "db_bytes", "wal_bytes", "requests", "errors"})

	var requests, failures atomic.Int64
	lctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(lctx, base, fmt.Sprintf("soak%d", i), "soak-password-"+strconv.Itoa(i), &requests, &failures)
		}()
	}
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-lctx.Done():
			done = true
		case <-tick.C:
		}
		rss, threads := procStatus(srv.Process.Pid)
		w.Write([]string{
			strconv.FormatFloat(time.Since(start).Seconds(), 'f', 1, 64),
			strconv.FormatInt(rss, 10), strconv.FormatInt(threads, 10), strconv.FormatInt(goroutines(metricsURL), 10),
			strconv.FormatInt(size(dbPath), 10), strconv.FormatInt(size(dbPath+"-wal"), 10),
			strconv.FormatInt(requests.Load(), 10), strconv.FormatInt(failures.Load(), 10),
		})
		w.Flush()
	}
	wg.Wait()
	fmt.Printf("soak: %d requests, %d errors in %v; samples in %s\n", requests.Load(), failures.Load(), time.Since(start).Round(time.Second), csvPath)
	if failures.Load() > 0 {
		return errors.New("some requests failed")
	}
	return w.Error()
}

// work is one client: log in, refresh five times, read /userinfo, then
// revoke the session (every other time) or abandon it to the idle timeout.
func work(ctx context.Context, base, user, password string, requests, failures *atomic.Int64) {
	for n := 0; ctx.Err() == nil; n++ {
		tok, ok := post(ctx, base+"/token", url.Values{"grant_type": {"password"}, "username": {user}, "password": {password}}, requests, failures)
		if !ok {
			continue
		}
		for range 5 {
			if tok, ok = post(ctx, base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"]}},
				requests, failures); !ok {
				break
			}
		}
		if !ok {
			continue
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+tok["access_token"])
		count(http.DefaultClient.Do(req))(ctx, requests, failures)
		if n%2 == 0 {
			post(ctx, base+"/revoke", url.Values{"token": {tok["refresh_token"]}}, requests, failures)
		}
	}
}

// post sends a form and decodes a JSON object answer.
func post(ctx context.Context, u string, form url.Values, requests, failures *atomic.Int64) (map[string]string, bool) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		count(resp, err)(ctx, requests, failures)
		return nil, false
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	count(resp, nil)(ctx, requests, failures)
	m := map[string]string{}
	for k, v := range out {
		if s, ok := v.(string); ok {
			m[k] = s
		}
	}
	return m, resp.StatusCode == http.StatusOK
}

// count counts a request, and a failure unless it is a 2xx answer or the
// load's end cut it short.
func count(resp *http.Response, err error) func(context.Context, *atomic.Int64, *atomic.Int64) {
	return func(ctx context.Context, requests, failures *atomic.Int64) {
		if ctx.Err() != nil {
			return
		}
		requests.Add(1)
		if err != nil || resp.StatusCode/100 != 2 {
			failures.Add(1)
			if err == nil {
				fmt.Fprintf(os.Stderr, "soak: %s %s: %s\n", resp.Request.Method, resp.Request.URL.Path, resp.Status)
			} else {
				fmt.Fprintln(os.Stderr, "soak:", err)
			}
		}
		if resp != nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}

var listenLine = regexp.MustCompile(`listening.*?\baddr"?[=:]"?([^"\s]+)`)

// listenAddr reads the server's log until its "listening" line, then
// passes the rest through to our stderr.
func listenAddr(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := listenLine.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(os.Stderr, r)
			return "http://" + m[1], nil
		}
	}
	return "", errors.New("the server exited before listening")
}

// procStatus reads VmRSS (bytes) and Threads of a process.
func procStatus(pid int) (rss, threads int64) {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "Threads":
			threads = n
		}
	}
	return rss, threads
}

// goroutines reads go_goroutines from a Prometheus text page; -1 when
// there is none.
func goroutines(metricsURL string) int64 {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int64(f)
			}
		}
	}
	return -1
}

func size(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
