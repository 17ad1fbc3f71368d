package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"github.com/gatehouse/gatehouse/httpapi"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/ratelimit"
)

// scrape reads GET /metrics of srv into samples keyed as the text format
// writes them: name{label="value",…}.
func scrape(t *testing.T, srv *testserver.Server) samples {
	t.Helper()
	r := srv.Do(t, "GET", "/metrics", "", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %s", r)
	}
	return parseSamples(t, r.Body)
}

type samples map[string]float64

func parseSamples(t *testing.T, body []byte) samples {
	t.Helper()
	out := samples{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// moved checks that each series moved by exactly its delta from before to
// after (a series absent before counts from 0).
func moved(t *testing.T, what string, before, after samples, deltas map[string]float64) {
	t.Helper()
	for k, d := range deltas {
		if _, ok := after[k]; !ok {
			t.Errorf("%s: %s not exposed", what, k)
			continue
		}
		if got := after[k] - before[k]; got != d {
			t.Errorf("%s: %s moved by %v; want %v", what, k, got, d)
		}
	}
}

const metricsPW = "correct horse battery"

func newMetricsServer(t *testing.T, o testserver.Options) (*testserver.Server, string) {
	t.Helper()
	srv := testserver.New(t, o)
	srv.AddUser("alice", metricsPW, "orders:read")
	srv.AddUser("root", metricsPW, gatehouse.AdminScope)
	admin := srv.Login(t, "root", metricsPW, "scope", gatehouse.AdminScope).AccessToken
	return srv, admin
}

func TestLoginsAreCountedByOutcome(t *testing.T) {
	srv, _ := newMetricsServer(t, testserver.Options{Throttle: &ratelimit.Config{PairFree: 2, AccountFree: 1 << 30, IPFree: 1 << 30, GlobalPerSecond: -1}})
	srv.AddUser("mallory", metricsPW)
	srv.AddUser("bob", metricsPW)
	disable(t, srv, "mallory")
	before := scrape(t, srv)
	srv.Login(t, "alice", metricsPW)
	try := func(user, pw string, extra ...string) { srv.TryLogin(t, user, pw, extra...) }
	try("alice", metricsPW, "scope", "orders:write") // a scope alice lacks
	try("nobody", "a wrong password")                // unknown user
	try("mallory", metricsPW)                        // disabled: one answer with a wrong password
	// bob never logged in from this address: his guesses back off.
	try("bob", "a wrong password") // 1st failure
	try("bob", "a wrong password") // 2nd: the last free one
	try("bob", "a wrong password") // 3rd: from now on bob waits
	if r, _ := srv.TryLogin(t, "bob", metricsPW); r.Status != http.StatusTooManyRequests {
		t.Fatalf("an attempt after three failures: %s; want 429", r)
	}
	after := scrape(t, srv)
	moved(t, "logins", before, after, map[string]float64{
		`gatehouse_logins_total{outcome="ok"}`:                 1,
		`gatehouse_logins_total{outcome="invalid_scope"}`:      1,
		`gatehouse_logins_total{outcome="bad_credentials"}`:    5,
		`gatehouse_logins_total{outcome="throttled"}`:          1,
		`gatehouse_logins_total{outcome="busy"}`:               0,
		`gatehouse_logins_total{outcome="error"}`:              0,
		`gatehouse_login_throttled_total{reason="account+ip"}`: 1,
		// Every login that was not throttled checked one password hash.
		`gatehouse_password_hash_wait_seconds_count`: 7,
		`gatehouse_password_hash_queue_depth`:        0,
	})
}

func TestRefreshesAreCountedByOutcome(t *testing.T) {
	srv, _ := newMetricsServer(t, testserver.Options{})
	tk := srv.Login(t, "alice", metricsPW)
	before := scrape(t, srv)

	next := srv.Refresh(t, tk.RefreshToken)       // rotated
	srv.Refresh(t, tk.RefreshToken)               // retry within the grace window
	srv.TryRefresh(t, "not a refresh token", nil) // invalid
	srv.Clock.Advance(time.Minute)
	third := srv.Refresh(t, next.RefreshToken) // rotated
	srv.TryRefresh(t, tk.RefreshToken, nil)    // an older token after the grace window: reuse
	srv.TryRefresh(t, third.RefreshToken, nil) // its session was revoked: ended
	after := scrape(t, srv)
	moved(t, "refreshes", before, after, map[string]float64{
		`gatehouse_refreshes_total{outcome="rotated"}`: 2,
		`gatehouse_refreshes_total{outcome="retry"}`:   1,
		`gatehouse_refreshes_total{outcome="invalid"}`: 1,
		`gatehouse_refreshes_total{outcome="reuse"}`:   1,
		`gatehouse_refreshes_total{outcome="ended"}`:   1,
		`gatehouse_refreshes_total{outcome="error"}`:   0,
		`gatehouse_revocations_total{cause="reuse"}`:   1,
	})
}

func TestRevocationsAreCountedByCause(t *testing.T) {
	srv, admin := newMetricsServer(t, testserver.Options{})
	srv.AddClient("api", "s3cret-s3cret")
	srv.AddClient("gone", "s3cret-s3cret")
	alice := mustUser(t, srv, "alice")
	cause := func(c string) string { return `gatehouse_revocations_total{cause="` + c + `"}` }
	step := func(c string, do func()) {
		t.Helper()
		before := scrape(t, srv)
		do()
		moved(t, c, before, scrape(t, srv), map[string]float64{cause(c): 1})
	}
	ok := func(r *testserver.Response, want int) {
		t.Helper()
		if r.Status != want {
			t.Fatalf("%s; want %d", r, want)
		}
	}
	step("logout", func() {
		ok(srv.Bearer(t, "POST", "/logout", srv.Login(t, "alice", metricsPW).AccessToken), 204)
	})
	step("logout_others", func() {
		srv.Login(t, "alice", metricsPW)
		ok(srv.Bearer(t, "POST", "/logout?others=true", srv.Login(t, "alice", metricsPW).AccessToken), 204)
	})
	step("logout_all", func() {
		ok(srv.Bearer(t, "POST", "/logout?all=true", srv.Login(t, "alice", metricsPW).AccessToken), 204)
	})
	step("session_ended", func() {
		tk := srv.Login(t, "alice", metricsPW)
		sid := sessionOf(t, srv, tk.AccessToken)
		ok(srv.Bearer(t, "DELETE", "/sessions/"+sid, tk.AccessToken), 204)
	})
	step("revoke", func() {
		ok(srv.PostForm(t, "/revoke", testserver.Form("token", srv.Login(t, "alice", metricsPW).RefreshToken), nil), 200)
	})
	step("admin", func() {
		sid := sessionOf(t, srv, srv.Login(t, "alice", metricsPW).AccessToken)
		ok(srv.Bearer(t, "DELETE", "/admin/users/"+alice.ID+"/sessions/"+sid, admin), 204)
	})
	step("admin_all", func() {
		ok(srv.Bearer(t, "POST", "/admin/users/"+alice.ID+"/revoke-sessions", admin), 200)
	})
	step("password_change", func() {
		ok(srv.PostJSON(t, "PATCH", "/admin/users/"+alice.ID, admin, map[string]any{"password": metricsPW + "!"}), 200)
	})
	step("scope_removal", func() {
		ok(srv.PostJSON(t, "PATCH", "/admin/users/"+alice.ID, admin, map[string]any{"scopes": []string{}}), 200)
	})
	step("disable", func() {
		ok(srv.PostJSON(t, "PATCH", "/admin/users/"+alice.ID, admin, map[string]any{"disabled": true}), 200)
	})
	step("user_deleted", func() {
		ok(srv.Bearer(t, "DELETE", "/admin/users/"+alice.ID, admin), 204)
	})
	step("client_secret_rotated", func() {
		ok(srv.Bearer(t, "POST", "/admin/clients/api/rotate-secret", admin), 200)
	})
	step("client_deleted", func() {
		ok(srv.Bearer(t, "DELETE", "/admin/clients/gone", admin), 200)
	})
	step("key_revoked", func() {
		var next string
		for _, k := range srv.Keys.Keys() {
			if k.State == gatehouse.KeyNext {
				next = k.ID
			}
		}
		ok(srv.Bearer(t, "POST", "/admin/keys/"+next+"/revoke", admin), 200)
	})
}

func TestSigningKeysAreExposedByState(t *testing.T) {
	srv, admin := newMetricsServer(t, testserver.Options{})
	keys := func() samples {
		s := scrape(t, srv)
		return samples{"next": s[`gatehouse_signing_keys{state="next"}`], "active": s[`gatehouse_signing_keys{state="active"}`],
			"retired": s[`gatehouse_signing_keys{state="retired"}`]}
	}
	if got := keys(); got["next"] != 1 || got["active"] != 1 || got["retired"] != 0 {
		t.Fatalf("keys of a new server: %v", got)
	}
	srv.Clock.Advance(10 * time.Minute) // the next key has been published long enough
	if r := srv.Bearer(t, "POST", "/admin/keys/rotate", admin); r.Status != http.StatusOK {
		t.Fatalf("rotate: %s", r)
	}
	if got := keys(); got["next"] != 1 || got["active"] != 1 || got["retired"] != 1 {
		t.Fatalf("keys after a rotation: %v", got)
	}
}

func TestRevocationFeedSubscribersAndLag(t *testing.T) {
	srv, _ := newMetricsServer(t, testserver.Options{})
	srv.AddClient("api", "s3cret-s3cret")
	feed := func(query string) *testserver.Response {
		r := srv.Do(t, "GET", "/revocations"+query, "", nil, http.Header{"Authorization": {basicAuth("api", "s3cret-s3cret")}})
		if r.Status != http.StatusOK {
			t.Errorf("GET /revocations%s: %s", query, r)
		}
		return r
	}
	var page struct{ Next int64 }
	srv.PostForm(t, "/revoke", testserver.Form("token", srv.Login(t, "alice", metricsPW).RefreshToken), nil)
	feed("").Decode(t, &page) // a snapshot: no lag counted
	if got := scrape(t, srv)["gatehouse_revocation_feed_lag_seconds_count"]; got != 0 {
		t.Fatalf("lag samples after a snapshot = %v; want 0", got)
	}

	cursor := strconv.FormatInt(page.Next, 10)
	done := make(chan *testserver.Response, 1)
	go func() { done <- feed("?since=" + cursor + "&wait=30s") }()
	deadline := time.Now().Add(30 * time.Second)
	for scrape(t, srv)["gatehouse_revocation_feed_subscribers"] != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the long poll never showed in gatehouse_revocation_feed_subscribers")
		}
		time.Sleep(5 * time.Millisecond)
	}
	before := scrape(t, srv)
	srv.Clock.Advance(3 * time.Second)
	srv.PostForm(t, "/revoke", testserver.Form("token", srv.Login(t, "alice", metricsPW).RefreshToken), nil)
	if r := <-done; !strings.Contains(string(r.Body), `"kind":"sid"`) {
		t.Fatalf("long poll answered %s", r)
	}
	after := scrape(t, srv)
	moved(t, "feed", before, after, map[string]float64{
		"gatehouse_revocation_feed_subscribers":       -1,
		"gatehouse_revocation_feed_lag_seconds_count": 1,
	})
}

func TestMetricsElsewhereRemovesTheRoute(t *testing.T) {
	srv := testserver.New(t, testserver.Options{HTTP: func(c *httpapi.Config) { c.MetricsElsewhere = true }})
	if r := srv.Do(t, "GET", "/metrics", "", nil, nil); r.Status != http.StatusNotFound {
		t.Fatalf("GET /metrics with the metrics elsewhere: %s; want 404", r)
	}
	// The registry still has the server's metrics, for the other listener.
	families, err := srv.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, n := range []string{"gatehouse_logins_total", "gatehouse_refreshes_total", "gatehouse_http_requests_total"} {
		if !names[n] {
			t.Errorf("registry lacks %s", n)
		}
	}
}

func mustUser(t *testing.T, srv *testserver.Server, name string) *gatehouse.User {
	t.Helper()
	u, err := srv.Accounts.ByName(srv.Ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func disable(t *testing.T, srv *testserver.Server, name string) {
	t.Helper()
	yes := true
	if _, _, err := srv.Accounts.Update(context.Background(), mustUser(t, srv, name).ID, account.Changes{Disabled: &yes}, account.CommandLine); err != nil {
		t.Fatal(err)
	}
}

// sessionOf is the sid of an access token.
func sessionOf(t *testing.T, srv *testserver.Server, tok string) string {
	t.Helper()
	c, err := srv.Sessions.Authenticate(srv.Ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return c.SessionID
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}
