package e2e_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the database/sql driver, to lose a write on purpose
)

// The crash test: clients keep a ledger of what Gatehouse acknowledged
// (users created, refresh tokens handed out, sessions revoked) while the
// server is killed with SIGKILL again and again under that load. After
// the last restart every entry of the ledger must still be true: each
// acknowledged user logs in, each session's last refresh token works
// (unless the ledger's own revocation ended it), each revoked session's
// tokens are refused. Then one acknowledged user is deleted behind the
// server's back, and the same checker must report it: a checker that
// cannot fail would prove nothing.

// crashKills is how many times the server is killed; between two kills
// the load has crashAcks more writes acknowledged (a second or two).
const (
	crashKills = 3
	crashAcks  = 12
)

func TestKill9LosesNothingAcknowledged(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "gatehouse.db")
		crashTest(t, "sqlite:"+path, func(username string) error {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = db.Exec("DELETE FROM users WHERE username = ?", username)
			return err
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := newPostgresDB(t)
		crashTest(t, dsn, func(username string) error {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, "DELETE FROM users WHERE username = $1", username)
			return err
		})
	})
}

// crashTest runs the load and the kills on dsn, checks the ledger, then
// loses a write with lose (the server stopped) and checks the checker
// sees it.
func crashTest(t *testing.T, dsn string, lose func(username string) error) {
	const workers = 4
	l := &ledger{users: map[string]string{}}
	gatehouseOn(t, dsn, adminPassword+"\n", "user", "add", "root", "--password-stdin", "--scope", "gatehouse:admin")
	for i := range workers {
		name, pw := fmt.Sprintf("seed%d", i), fmt.Sprintf("seed-password-%d", i)
		gatehouseOn(t, dsn, pw+"\n", "user", "add", name, "--password-stdin")
		l.users[name] = pw
	}
	addr := freePort(t)
	// A minute of grace: a client that lost a refresh's answer to a kill
	// retries it after the restart and gets the same successor.
	start := func() *proc {
		return startProc(t, []string{"GATEHOUSE_KEY_ENCRYPTION_KEY=" + replicaKEK}, gatehouseBin,
			"serve", "--db", dsn, "--addr", addr, "--log-format", "json", "--reuse-grace", "60s")
	}
	p := start()
	base := p.url()
	admin := loginAdmin(t, base, "root", adminPassword).access

	// The load stops between two operations, never in the middle of one:
	// a write the server committed before a kill but never answered is
	// retried until it is answered, so the ledger ends with no write left
	// in doubt. ctx only bounds the whole run, should the server never
	// answer again: longer than the four waits for the ledger below.
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	var stopping atomic.Bool
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			(&crashClient{base: base, admin: admin, l: l, id: i, rng: rand.New(rand.NewPCG(uint64(i), 14))}).run(ctx, &stopping)
		}()
	}
	for k := range crashKills {
		// Kill in the middle of the load: once it has been acknowledged a
		// few more writes (a shared machine may be slow), a moment later.
		l.waitFor(func() bool { return l.acks >= (k+1)*crashAcks })
		time.Sleep(rand.N(500 * time.Millisecond))
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.done
		t.Logf("kill %d: %s", k+1, l.summary())
		p = start()
	}
	l.waitFor(func() bool { return l.acks >= (crashKills+1)*crashAcks && l.created > 0 && l.revokedLocked() > 0 })
	stopping.Store(true)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("the load did not settle: %s", l.summary())
	}
	if n := len(l.problems); n > 0 {
		t.Fatalf("during the load, %d answers contradicted the ledger:\n%s", n, strings.Join(l.problems, "\n"))
	}
	t.Logf("ledger: %s", l.summary())
	if l.created == 0 || l.refreshes == 0 || l.revoked() == 0 {
		t.Fatalf("the load acknowledged too little to prove anything: %s", l.summary())
	}
	if problems := l.check(base); len(problems) > 0 {
		t.Fatalf("after %d kills, %d acknowledged writes are not true:\n%s", crashKills, len(problems), strings.Join(problems, "\n"))
	}

	// Lose one acknowledged user behind the server's back: the checker
	// must say so, and say nothing else.
	victim := l.createdUser()
	p.stop()
	if err := lose(victim); err != nil {
		t.Fatal(err)
	}
	base = start().url()
	problems := l.check(base)
	if len(problems) == 0 {
		t.Fatalf("the checker did not notice that user %s was lost", victim)
	}
	for _, pr := range problems {
		if !strings.Contains(pr, "user "+victim+":") {
			t.Errorf("the checker reported %q, which is not about the lost user %s", pr, victim)
		}
	}
	if !slices.ContainsFunc(problems, func(s string) bool { return strings.Contains(s, "cannot log in") }) {
		t.Errorf("the checker did not report that %s cannot log in: %q", victim, problems)
	}
}

// ledger is what the clients were told, and what they did.
type ledger struct {
	mu        sync.Mutex
	users     map[string]string // username → password, acknowledged
	apiUsers  []string          // the users of users created through the admin API
	sessions  []*ledgerSession
	created   int // users acknowledged by the admin API
	refreshes int // refreshes acknowledged
	acks      int // writes acknowledged, of every kind
	problems  []string
}

// waitFor polls until done (called under the lock) is true, for up to a
// minute: the test then goes on and its checks say what is missing.
func (l *ledger) waitFor(done func() bool) {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		l.mu.Lock()
		ok := done()
		l.mu.Unlock()
		if ok {
			return
		}
	}
}

// ledgerSession is one session as its client knows it.
type ledgerSession struct {
	user    string
	access  string
	refresh string // the last refresh token acknowledged
	revoked bool   // revoked by its client, and acknowledged
}

func (l *ledger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d users (%d created under load), %d sessions, %d refreshes, %d revoked",
		len(l.users), l.created, len(l.sessions), l.refreshes, l.revokedLocked())
}

func (l *ledger) revoked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.revokedLocked()
}

func (l *ledger) revokedLocked() int {
	n := 0
	for _, s := range l.sessions {
		if s.revoked {
			n++
		}
	}
	return n
}

func (l *ledger) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// createdUser is a user acknowledged by the admin API during the load.
func (l *ledger) createdUser() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.apiUsers[0]
}

// check tells whether every entry of the ledger is true of the server at
// base, as a client finds out: it logs each user in, refreshes each live
// session (keeping the new tokens) and presents each revoked session's
// tokens. It returns the entries that are not true.
func (l *ledger) check(base string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var problems []string
	for name, pw := range l.users {
		r, err := send(context.Background(), base, "/token", url.Values{"grant_type": {"password"}, "username": {name}, "password": {pw}}, "")
		if err != nil || r.status != http.StatusOK {
			problems = append(problems, fmt.Sprintf("user %s: cannot log in: %v", name, answer(r, err)))
		}
	}
	for _, s := range l.sessions {
		r, err := send(context.Background(), base, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.refresh}}, "")
		switch {
		case s.revoked && (err != nil || r.status != http.StatusBadRequest || r.json["error"] != "invalid_grant"):
			problems = append(problems, fmt.Sprintf("user %s: refresh token of a revoked session: %v, want 400 invalid_grant", s.user, answer(r, err)))
		case s.revoked:
			if ui, err := send(context.Background(), base, "/userinfo", nil, s.access); err != nil || ui.status != http.StatusUnauthorized {
				problems = append(problems, fmt.Sprintf("user %s: access token of a revoked session: %v, want 401", s.user, answer(ui, err)))
			}
		case err != nil || r.status != http.StatusOK:
			problems = append(problems, fmt.Sprintf("user %s: last refresh token of a live session: %v, want 200", s.user, answer(r, err)))
		default:
			s.access, s.refresh = r.json["access_token"].(string), r.json["refresh_token"].(string)
		}
	}
	slices.Sort(problems)
	return problems
}

func answer(r *crashReply, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d %s", r.status, r.body)
}

// crashClient is one worker of the load: it creates users through the
// admin API, logs in, refreshes, and revokes, and writes down what was
// acknowledged. A request that fails for want of an answer (the server was
// killed) is sent again, as a real client would, until it is answered.
type crashClient struct {
	base, admin string
	l           *ledger
	id          int
	rng         *rand.Rand
	n           int
}

func (c *crashClient) run(ctx context.Context, stopping *atomic.Bool) {
	var cur *ledgerSession
	for ctx.Err() == nil && !stopping.Load() {
		c.n++
		switch {
		case c.n%10 == 0:
			c.createUser(ctx)
		case cur == nil:
			cur = c.login(ctx)
		case c.rng.IntN(6) == 0:
			c.revoke(ctx, cur)
			cur = nil
		default:
			c.refresh(ctx, cur)
		}
	}
}

func (c *crashClient) createUser(ctx context.Context) {
	name, pw := fmt.Sprintf("w%d-user%d", c.id, c.n), fmt.Sprintf("password-%d-%d", c.id, c.n)
	body, _ := json.Marshal(map[string]any{"username": name, "password": pw})
	r, ok := c.retry(ctx, func() (*crashReply, error) { return sendJSON(ctx, c.base, "/admin/users", body, c.admin) })
	if !ok {
		return
	}
	// 409 on a retry: the first attempt was written before the kill.
	if r.status != http.StatusCreated && r.status != http.StatusConflict {
		c.l.problem("create user %s: %d %s", name, r.status, r.body)
		return
	}
	c.l.mu.Lock()
	c.l.users[name] = pw
	c.l.apiUsers = append(c.l.apiUsers, name)
	c.l.created++
	c.l.acks++
	c.l.mu.Unlock()
}

func (c *crashClient) login(ctx context.Context) *ledgerSession {
	c.l.mu.Lock()
	name := fmt.Sprintf("seed%d", c.id)
	pw := c.l.users[name]
	c.l.mu.Unlock()
	r, ok := c.retry(ctx, func() (*crashReply, error) {
		return send(ctx, c.base, "/token", url.Values{"grant_type": {"password"}, "username": {name}, "password": {pw}}, "")
	})
	if !ok {
		return nil
	}
	if r.status != http.StatusOK {
		c.l.problem("login %s: %d %s", name, r.status, r.body)
		return nil
	}
	s := &ledgerSession{user: name, access: r.json["access_token"].(string), refresh: r.json["refresh_token"].(string)}
	c.l.mu.Lock()
	c.l.sessions = append(c.l.sessions, s)
	c.l.acks++
	c.l.mu.Unlock()
	return s
}

func (c *crashClient) refresh(ctx context.Context, s *ledgerSession) {
	c.l.mu.Lock()
	rt := s.refresh
	c.l.mu.Unlock()
	r, ok := c.retry(ctx, func() (*crashReply, error) {
		return send(ctx, c.base, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "")
	})
	if !ok {
		return
	}
	if r.status != http.StatusOK {
		c.l.problem("user %s: refresh of the last acknowledged token: %d %s", s.user, r.status, r.body)
		return
	}
	c.l.mu.Lock()
	s.access, s.refresh = r.json["access_token"].(string), r.json["refresh_token"].(string)
	c.l.refreshes++
	c.l.acks++
	c.l.mu.Unlock()
}

func (c *crashClient) revoke(ctx context.Context, s *ledgerSession) {
	c.l.mu.Lock()
	rt := s.refresh
	c.l.mu.Unlock()
	r, ok := c.retry(ctx, func() (*crashReply, error) { return send(ctx, c.base, "/revoke", url.Values{"token": {rt}}, "") })
	if !ok {
		return
	}
	if r.status != http.StatusOK {
		c.l.problem("user %s: revoke: %d %s", s.user, r.status, r.body)
		return
	}
	c.l.mu.Lock()
	s.revoked = true
	c.l.acks++
	c.l.mu.Unlock()
}

// retry sends until an answer other than a 5xx or a 429 (the login
// throttle: logins cut short by a kill count as attempts) arrives (ok), or
// ctx ends.
func (c *crashClient) retry(ctx context.Context, send func() (*crashReply, error)) (*crashReply, bool) {
	for ctx.Err() == nil {
		r, err := send()
		if err == nil && r.status < 500 && r.status != http.StatusTooManyRequests {
			return r, true
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil, false
}

// crashReply is an answer; json is its body if it is a JSON object.
type crashReply struct {
	status int
	body   string
	json   map[string]any
}

func send(ctx context.Context, base, path string, form url.Values, bearer string) (*crashReply, error) {
	method, body, ctype := http.MethodGet, "", ""
	if form != nil {
		method, body, ctype = http.MethodPost, form.Encode(), "application/x-www-form-urlencoded"
	}
	return do(ctx, method, base+path, []byte(body), ctype, bearer)
}

func sendJSON(ctx context.Context, base, path string, body []byte, bearer string) (*crashReply, error) {
	return do(ctx, http.MethodPost, base+path, body, "application/json", bearer)
}

func do(ctx context.Context, method, u string, body []byte, ctype, bearer string) (*crashReply, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := crashHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	r := &crashReply{status: resp.StatusCode, body: b.String()}
	json.Unmarshal(b.Bytes(), &r.json)
	return r, nil
}

// crashHTTP gives up on a request the killed server will never answer.
var crashHTTP = &http.Client{Timeout: 10 * time.Second}
