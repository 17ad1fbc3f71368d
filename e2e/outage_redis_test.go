package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testdb"
)

// A Redis of the test's own hangs (SIGSTOP) while the server uses it for
// the login throttle: a login answers within the throttle's deadline
// (500 ms per call, not the Redis client's default 5 s) counted on the
// local fallback, and every log line, the Redis client's own included,
// stays JSON.
func TestRedisHungLoginsAnswerWithinTheDeadline(t *testing.T) {
	rd, redisURL := testdb.OwnRedis(t)
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	gh := startGatehouse(t, db, "127.0.0.1:0", "--redis", redisURL)
	base := gh.url()
	loginTook := aliceLoginTimer(t, base)
	base1 := loginTook("login with Redis up") // its connections are now pooled
	rd.Freeze()
	defer rd.Thaw()
	hung := loginTook("login with Redis hung")
	after := loginTook("next login with Redis hung")
	t.Logf("login: %v with Redis up, %v when it hung, %v on the fallback", base1, hung, after)
	// What the hang added to a login, against one measured in the same
	// run. Generous, and only an upper bound: it tells the throttle's
	// deadline (500 ms) from the Redis client's default (5 s).
	if extra := hung - base1; extra > 3*time.Second {
		t.Errorf("a login took %v with Redis hung, %v with Redis up: the hang cost %v, want about the throttle's deadline (500 ms)", hung, base1, extra)
	}
	logs := gh.logs.String()
	if countLines(logs, "shared counters unreachable") != 1 {
		t.Errorf("the fallback to local counters was not logged once:\n%s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("a log line is not JSON under --log-format json: %q", line)
		}
	}
}

// A Redis that is hung before the server ever reached it: the first login
// dials, and the handshake gets no answer. It too answers within the
// throttle's deadline, on the local fallback, against a login on the same
// server once Redis is back (the baseline of the same run).
func TestRedisHungFromTheStartLoginsAnswerWithinTheDeadline(t *testing.T) {
	rd, redisURL := testdb.OwnRedis(t)
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	rd.Freeze()
	thawed := false
	defer func() {
		if !thawed {
			rd.Thaw()
		}
	}()
	gh := startGatehouse(t, db, "127.0.0.1:0", "--redis", redisURL)
	base := gh.url()
	loginTook := aliceLoginTimer(t, base)
	hung := loginTook("first login, Redis hung since before the start")
	rd.Thaw()
	thawed = true
	up := loginTook("login with Redis back")
	t.Logf("login: %v with Redis hung from the start, %v once it was back", hung, up)
	if extra := hung - up; extra > 3*time.Second {
		t.Errorf("the first login took %v with Redis hung from the start, %v with it back: the hang cost %v, want about the throttle's deadline (500 ms)", hung, up, extra)
	}
	if logs := gh.logs.String(); countLines(logs, "shared counters unreachable") != 1 {
		t.Errorf("the fallback to local counters was not logged once:\n%s", logs)
	}
}

// aliceLoginTimer returns a function that logs alice in at base and
// returns how long it took; any answer but 200 fails the test.
func aliceLoginTimer(t *testing.T, base string) func(what string) time.Duration {
	client := &http.Client{Timeout: 30 * time.Second}
	return func(what string) time.Duration {
		t.Helper()
		start := time.Now()
		resp, err := client.PostForm(base+"/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {alicePassword}})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", what, resp.StatusCode)
		}
		return took
	}
}
