package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A load of logins, refreshes and userinfo calls for the failure tests,
// and the tally of its answers. Every answer must be a success, a 503
// with Retry-After (the database cannot serve it now), or an
// invalid_grant on a refresh (a rotation that committed while its answer
// was lost, retried after the grace window, is reuse); anything else — a
// 500, a 503 without Retry-After, a connection reset or EOF — is a failed
// request.

type tally struct {
	ok, unavailable, invalidGrant atomic.Int64
	// busy counts the 503s of a full password-hashing queue (the server
	// shedding load, whatever its database does); unavailable the others.
	busy   atomic.Int64
	mu     sync.Mutex
	failed []string
}

func (tl *tally) fail(format string, a ...any) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if len(tl.failed) < 20 {
		tl.failed = append(tl.failed, fmt.Sprintf(format, a...))
	} else {
		tl.failed[19] = "… and more"
	}
}

func (tl *tally) failures() []string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]string(nil), tl.failed...)
}

func (tl *tally) String() string {
	return fmt.Sprintf("%d ok, %d unavailable (503), %d busy hashing (503), %d invalid_grant, failed: %q",
		tl.ok.Load(), tl.unavailable.Load(), tl.busy.Load(), tl.invalidGrant.Load(), tl.failures())
}

// busyDescription is the description of the 503 a login gets when every
// password-hashing slot stays taken (the server's load shedding).
const busyDescription = "the server is busy; retry later"

// send makes one request and tallies its answer; it returns the status
// (0 for a transport error) and the JSON body.
func (tl *tally) send(client *http.Client, method, u string, form url.Values, bearer string) (int, map[string]any) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := client.Do(req)
	if err != nil {
		tl.fail("%s %s: %v", method, u, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tl.fail("%s %s: reading the body: %v", method, u, err)
		return 0, nil
	}
	var j map[string]any
	json.Unmarshal(b, &j)
	switch {
	case resp.StatusCode == http.StatusOK:
		tl.ok.Add(1)
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" && j["error_description"] == busyDescription:
		tl.busy.Add(1)
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
		tl.unavailable.Add(1)
	case resp.StatusCode == http.StatusBadRequest && j["error"] == "invalid_grant" && form.Get("grant_type") == "refresh_token":
		tl.invalidGrant.Add(1)
	default:
		tl.fail("%s %s: %d %s (Retry-After %q)", method, u, resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	return resp.StatusCode, j
}

// backgroundLoad is runLoad as alice in the background of a test.
type backgroundLoad struct {
	t  *testing.T
	tl *tally
	// stop ends the load and waits for its workers; it runs at the test's
	// cleanup too, and only once.
	stop func()
}

// startLoad starts runLoad as alice with workers on the base URL pick
// returns, counting into tl.
func startLoad(t *testing.T, workers int, client *http.Client, pick func() string, tl *tally) *backgroundLoad {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runLoad(ctx, workers, client, pick, "alice", alicePassword, tl)
	}()
	var once sync.Once
	l := &backgroundLoad{t: t, tl: tl, stop: func() { once.Do(func() { cancel(); <-done }) }}
	t.Cleanup(l.stop)
	return l
}

// okAfter waits until n more requests of the load have answered 200.
func (l *backgroundLoad) okAfter(what string, n int64) {
	l.t.Helper()
	from := l.tl.ok.Load()
	eventually(l.t, 60*time.Second, what, func() bool { return l.tl.ok.Load() >= from+n })
}

// runLoad runs workers that each log in as user and then refresh and call
// /userinfo in a loop, each request to the base URL pick returns, until
// ctx ends. It returns once they have stopped.
func runLoad(ctx context.Context, workers int, client *http.Client, pick func() string, user, pw string, tl *tally) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var access, refresh string
			for ctx.Err() == nil {
				if refresh == "" {
					st, j := tl.send(client, "POST", pick()+"/token", url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}, "")
					if st == http.StatusOK {
						access, _ = j["access_token"].(string)
						refresh, _ = j["refresh_token"].(string)
					} else {
						time.Sleep(50 * time.Millisecond)
					}
					continue
				}
				st, j := tl.send(client, "POST", pick()+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, "")
				switch st {
				case http.StatusOK:
					access, _ = j["access_token"].(string)
					refresh, _ = j["refresh_token"].(string)
				case http.StatusBadRequest:
					refresh = ""
					continue
				default:
					time.Sleep(50 * time.Millisecond)
				}
				tl.send(client, "GET", pick()+"/userinfo", nil, access)
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// status is GET base+path's status (0 when it does not answer).
func status(base, path string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond every 50 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countLines counts the lines of logs that contain every one of subs.
func countLines(logs string, subs ...string) int {
	n := 0
	for _, l := range strings.Split(logs, "\n") {
		all := l != ""
		for _, s := range subs {
			all = all && strings.Contains(l, s)
		}
		if all {
			n++
		}
	}
	return n
}
