package e2e_test

// The revocation feed end to end: Gatehouse, examples/goapi (guard) and
// examples/fastapi (clients/python) following its feed as a registered
// client. Every way a token dies makes both APIs refuse it, with no call to
// Gatehouse per request; TestRevocationLatency measures how soon; and
// TestFeedOutage cuts the APIs off the feed for 30 s.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var feedTries = flag.Int("feed-tries", 20, "revocations measured by TestRevocationLatency per backend (docs/benchmarks.md used 200)")

// refusalBound bounds how long a test waits for an API to refuse a revoked
// token; only a failing test waits that long.
const refusalBound = 15 * time.Second

// feedAPI is one of the example APIs, following the feed.
type feedAPI struct {
	name string
	p    *proc
}

// startFeedAPIs starts examples/goapi and examples/fastapi against issuer,
// both following its feed as the client id/secret.
func startFeedAPIs(t *testing.T, issuer, id, secret string) []feedAPI {
	t.Helper()
	needPython(t, "jwt", "cryptography", "fastapi", "uvicorn")
	env := []string{"GATEHOUSE_ISSUER=" + issuer, "GATEHOUSE_CLIENT_ID=" + id, "GATEHOUSE_CLIENT_SECRET=" + secret}
	goapi := startProc(t, append(env, "GOAPI_ADDR=127.0.0.1:0"), goapiBin)
	fastapi := startProc(t, append(env, "FASTAPI_ADDR=127.0.0.1:0"), systemPython, filepath.Join(repoRoot, "examples", "fastapi", "main.py"))
	for _, p := range []*proc{goapi, fastapi} {
		if !strings.Contains(p.logs.String(), "revocation_feed") {
			t.Fatalf("an API does not say whether it follows the feed:\n%s", p.logs.String())
		}
	}
	return []feedAPI{{"goapi", goapi}, {"fastapi", fastapi}}
}

// feedClient keeps connections to the APIs open: the latency measured is
// the feed's, not a TCP handshake's.
var feedClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

// ordersStatus is the status of GET /orders with tok.
func ordersStatus(api feedAPI, tok string) (int, string, error) {
	req, _ := http.NewRequest("GET", api.p.url()+"/orders", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := feedClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), nil
}

// wantAccepted fails unless every API answers 200 to tok (and so has
// verified, and guard cached, it).
func wantAccepted(t *testing.T, apis []feedAPI, tok string) {
	t.Helper()
	for _, api := range apis {
		if st, _, err := ordersStatus(api, tok); err != nil || st != http.StatusOK {
			t.Fatalf("%s before the revocation: %d %v, want 200", api.name, st, err)
		}
	}
}

// untilRefused polls every API with tok, from now, until it answers 401
// invalid_token, and returns how long each took (concurrently, as each API
// hears of the revocation on its own).
func untilRefused(apis []feedAPI, tok string) ([]time.Duration, error) {
	start := time.Now()
	out := make([]time.Duration, len(apis))
	errs := make([]error, len(apis))
	var wg sync.WaitGroup
	for i, api := range apis {
		wg.Go(func() {
			for {
				st, challenge, err := ordersStatus(api, tok)
				switch {
				case err != nil:
					errs[i] = fmt.Errorf("%s: %w", api.name, err)
					return
				case st == http.StatusUnauthorized && strings.Contains(challenge, `error="invalid_token"`):
					out[i] = time.Since(start)
					return
				case st != http.StatusOK:
					errs[i] = fmt.Errorf("%s answered %d %q, want 200 until refused, then 401 invalid_token", api.name, st, challenge)
					return
				case time.Since(start) > refusalBound:
					errs[i] = fmt.Errorf("%s still accepts the token %v after its revocation", api.name, refusalBound)
					return
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// adminJSON sends a JSON request to the admin API with the admin's token.
func adminJSON(t *testing.T, base, method, path, admin string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
}

// TestEveryRevocationReachesTheAPIs: logout, logout-all, /revoke, a
// password change, an admin's disable, a scope taken away, a refresh token
// reused, and a disable from the command line (another process on the
// SQLite file) each make both APIs refuse the old access token.
func TestEveryRevocationReachesTheAPIs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gh := startGatehouse(t, db, "127.0.0.1:0")
	id, secret := addClient(t, db, "orders-api")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "root", "--password-stdin", "--scope", "gatehouse:admin")
	actions := []struct {
		name   string
		revoke func(t *testing.T, user string, tok tokens)
	}{
		{"logout", func(t *testing.T, _ string, tok tokens) {
			if r := call(t, "POST", gh.url(), "/logout", url.Values{}, tok.access); r.status != http.StatusNoContent {
				t.Fatalf("logout: %d %s", r.status, r.body)
			}
		}},
		{"logout-all", func(t *testing.T, user string, _ tokens) {
			other := login(t, gh.url(), user, alicePassword) // another session of the user ends it all
			if r := call(t, "POST", gh.url(), "/logout", url.Values{"all": {"true"}}, other.access); r.status != http.StatusNoContent {
				t.Fatalf("logout all: %d %s", r.status, r.body)
			}
		}},
		{"/revoke of the access token", func(t *testing.T, _ string, tok tokens) {
			if r := call(t, "POST", gh.url(), "/revoke", url.Values{"token": {tok.access}}, ""); r.status != http.StatusOK {
				t.Fatalf("revoke: %d %s", r.status, r.body)
			}
		}},
		{"/revoke of the refresh token", func(t *testing.T, _ string, tok tokens) {
			if r := call(t, "POST", gh.url(), "/revoke", url.Values{"token": {tok.refresh}}, ""); r.status != http.StatusOK {
				t.Fatalf("revoke: %d %s", r.status, r.body)
			}
		}},
		{"password change", func(t *testing.T, user string, tok tokens) {
			admin := loginAdmin(t, gh.url(), "root", alicePassword)
			adminJSON(t, gh.url(), "PATCH", "/admin/users/"+userinfo(t, gh.url(), tok.access).str("sub"), admin.access,
				map[string]any{"password": "a brand new passphrase"})
		}},
		{"admin disable", func(t *testing.T, user string, tok tokens) {
			admin := loginAdmin(t, gh.url(), "root", alicePassword)
			adminJSON(t, gh.url(), "PATCH", "/admin/users/"+userinfo(t, gh.url(), tok.access).str("sub"), admin.access,
				map[string]any{"disabled": true})
		}},
		{"scope removal", func(t *testing.T, user string, tok tokens) {
			admin := loginAdmin(t, gh.url(), "root", alicePassword)
			adminJSON(t, gh.url(), "PATCH", "/admin/users/"+userinfo(t, gh.url(), tok.access).str("sub"), admin.access,
				map[string]any{"scopes": []string{"orders:read"}}) // profile taken away
		}},
		{"refresh-token reuse", func(t *testing.T, _ string, tok tokens) {
			r1 := wantTokens(t, refresh(t, gh.url(), tok.refresh))
			wantTokens(t, refresh(t, gh.url(), r1.refresh))
			// tok.refresh is not the most recently rotated token: reuse.
			if r := refresh(t, gh.url(), tok.refresh); r.status != http.StatusBadRequest {
				t.Fatalf("reuse: %d %s, want 400 invalid_grant", r.status, r.body)
			}
		}},
		{"disable from the command line", func(t *testing.T, user string, _ tokens) {
			gatehouse(t, db, "", "user", "disable", user)
		}},
	}
	for i := range actions {
		gatehouse(t, db, alicePassword+"\n", "user", "add", "user"+strconv.Itoa(i), "--password-stdin", "--scope", "orders:read profile")
	}
	apis := startFeedAPIs(t, gh.url(), id, secret)
	for i, a := range actions {
		t.Run(a.name, func(t *testing.T) {
			user := "user" + strconv.Itoa(i)
			tok := login(t, gh.url(), user, alicePassword)
			wantAccepted(t, apis, tok.access)
			a.revoke(t, user, tok)
			took, err := untilRefused(apis, tok.access)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("refused by goapi after %v, by fastapi after %v", took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))
		})
	}
}

// percentile is the nearest-rank p-th percentile of ds (sorted in place).
func percentile(ds []time.Duration, p float64) time.Duration {
	slices.Sort(ds)
	i := int(float64(len(ds))*p/100+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// TestRevocationLatency measures, over -feed-tries revocations per
// backend, the time from a revocation's 2xx to the first 401 of each API
// for the revoked token: half are /revoke of an access token (a jti entry),
// half a logout (a sid entry). On SQLite, one server; on PostgreSQL, two
// replicas: the revocations are made on one, the APIs follow the other's
// feed, so each figure includes the NOTIFY from one replica to the other.
// The figures are logged (go test -v); docs/benchmarks.md has a 200-try
// run. Nothing here asserts a timing: each refusal is only bounded by
// refusalBound.
func TestRevocationLatency(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "gatehouse.db")
		gh := startGatehouse(t, db, "127.0.0.1:0")
		id, secret := addClient(t, db, "orders-api")
		gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
		measureLatency(t, gh.url(), startFeedAPIs(t, gh.url(), id, secret))
	})
	t.Run("postgres two replicas", func(t *testing.T) {
		dsn := newPostgresDB(t)
		// The replicas share one issuer: the feed's replica's own URL, so
		// that the APIs discover it there. Its port is chosen first.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		issuer := "http://" + addr
		feedReplica := startProc(t, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY=" + replicaKEK}, gatehouseBin, "serve", "--db", dsn, "--addr", addr, "--issuer", issuer, "--log-format", "json")
		writeReplica := startProc(t, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY=" + replicaKEK}, gatehouseBin, "serve", "--db", dsn, "--addr", "127.0.0.1:0", "--issuer", issuer, "--log-format", "json")
		out := gatehouseOn(t, dsn, "", "client", "add", "orders-api")
		id, secret := clientCredentials(t, out)
		gatehouseOn(t, dsn, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
		measureLatency(t, writeReplica.url(), startFeedAPIs(t, feedReplica.url(), id, secret))
	})
}

// clientCredentials reads `gatehouse client add`'s output.
func clientCredentials(t *testing.T, out string) (id, secret string) {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(line, "client_id:"); ok {
			id = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "client_secret:"); ok {
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("client add printed no id or secret:\n%s", out)
	}
	return id, secret
}

// measureLatency revokes -feed-tries tokens on base and logs p50/p99 of
// each API's time to refuse them.
func measureLatency(t *testing.T, base string, apis []feedAPI) {
	t.Helper()
	session := login(t, base, "alice", alicePassword)
	took := make([][]time.Duration, len(apis))
	for i := range *feedTries {
		var tok string
		if i%2 == 0 { // a new access token of the session, then /revoke it
			session = wantTokens(t, refresh(t, base, session.refresh))
			tok = session.access
		} else { // a new session, then log it out
			tok = login(t, base, "alice", alicePassword).access
		}
		wantAccepted(t, apis, tok)
		var r *reply
		if i%2 == 0 {
			r = call(t, "POST", base, "/revoke", url.Values{"token": {tok}}, "")
		} else {
			r = call(t, "POST", base, "/logout", url.Values{}, tok)
		}
		if r.status/100 != 2 {
			t.Fatalf("try %d: revocation answered %d %s", i, r.status, r.body)
		}
		ds, err := untilRefused(apis, tok)
		if err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
		for j, d := range ds {
			took[j] = append(took[j], d)
		}
	}
	for j, api := range apis {
		ds := took[j]
		t.Logf("%s: %d revocations, time from the 2xx to the first refusal: p50 %v, p99 %v, max %v",
			api.name, len(ds), percentile(ds, 50).Round(100*time.Microsecond), percentile(ds, 99).Round(100*time.Microsecond),
			percentile(ds, 100).Round(100*time.Microsecond))
	}
}

// cutProxy forwards TCP connections to a target until cut: then it closes
// every open connection and refuses new ones, as a network partition
// between the APIs and Gatehouse would.
type cutProxy struct {
	ln     net.Listener
	mu     sync.Mutex
	target string
	cut    bool
	conns  map[net.Conn]struct{}
}

func newCutProxy(t *testing.T) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return p
}

func (p *cutProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) setTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *cutProxy) forward(c net.Conn) {
	p.mu.Lock()
	target, cut := p.target, p.cut
	p.mu.Unlock()
	if cut || target == "" {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// staleness reads an API's gatehouse_guard_revocation_feed_staleness_seconds.
func staleness(t *testing.T, api feedAPI) float64 {
	t.Helper()
	resp, err := feedClient.Get(api.p.url() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "gatehouse_guard_revocation_feed_staleness_seconds "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("%s /metrics has no staleness gauge:\n%s", api.name, body)
	return 0
}

// feedOutage is how long TestFeedOutage keeps the APIs off the feed.
const feedOutage = 30 * time.Second

// TestFeedOutage: the APIs reach Gatehouse through a proxy that is cut for
// 30 s. Meanwhile they keep what they knew (a token revoked before the cut
// stays refused; one revoked during it is still accepted: they cannot
// know) and their staleness gauges grow past 30 s; once the proxy is back,
// both catch up with what happened and refuse the token revoked during
// the cut, and their staleness falls back.
func TestFeedOutage(t *testing.T) {
	proxy := newCutProxy(t)
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gh := startGatehouse(t, db, "127.0.0.1:0", "--issuer", proxy.url())
	proxy.setTarget(gh.addr)
	id, secret := addClient(t, db, "orders-api")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
	apis := startFeedAPIs(t, proxy.url(), id, secret)

	before, during := login(t, gh.url(), "alice", alicePassword), login(t, gh.url(), "alice", alicePassword)
	wantAccepted(t, apis, before.access)
	wantAccepted(t, apis, during.access)
	call(t, "POST", gh.url(), "/logout", url.Values{}, before.access)
	if _, err := untilRefused(apis, before.access); err != nil {
		t.Fatal(err)
	}

	proxy.setCut(true)
	cutAt := time.Now()
	if r := call(t, "POST", gh.url(), "/logout", url.Values{}, during.access); r.status != http.StatusNoContent {
		t.Fatalf("logout during the cut: %d %s", r.status, r.body)
	}
	time.Sleep(feedOutage - time.Since(cutAt))
	for _, api := range apis {
		if st, _, err := ordersStatus(api, before.access); err != nil || st != http.StatusUnauthorized {
			t.Errorf("%s during the cut, the token revoked before it: %d %v, want 401", api.name, st, err)
		}
		if st, _, err := ordersStatus(api, during.access); err != nil || st != http.StatusOK {
			t.Errorf("%s during the cut, the token revoked during it: %d %v, want 200 (it cannot know yet)", api.name, st, err)
		}
		// Its last answer came before the cut, give or take the time to
		// read it.
		if s := staleness(t, api); s < feedOutage.Seconds()-1 {
			t.Errorf("%s staleness %.1f s after a %v cut, want about that", api.name, s, feedOutage)
		} else {
			t.Logf("%s: staleness %.1f s at the end of the cut", api.name, s)
		}
	}

	proxy.setCut(false)
	back := time.Now()
	took, err := untilRefused(apis, during.access)
	if err != nil {
		t.Fatal(err)
	}
	for i, api := range apis {
		s := staleness(t, api)
		t.Logf("%s: caught up %v after the feed came back; staleness now %.1f s", api.name, took[i].Round(time.Millisecond), s)
		if s > time.Since(back).Seconds()+1 {
			t.Errorf("%s staleness %.1f s after catching up, want it reset", api.name, s)
		}
	}
}
