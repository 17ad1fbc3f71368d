package guard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// fakeFeed is an issuer's /revocations: the entries it holds, served after
// the cursor, with long polls, client authentication, and a switch that
// makes it unreachable.
type fakeFeed struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	entries  []map[string]any
	head     int64
	down     bool // answer 503
	resync   bool // answer the next poll with resync and a snapshot
	raw      string
	requests int
	changed  chan struct{}
}

const (
	feedClient = "api"
	feedSecret = "s3cret s3cret" // a space: the id and secret are form-encoded in Basic
)

func newFakeFeed(t *testing.T) *fakeFeed {
	f := &fakeFeed{t: t, changed: make(chan struct{})}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFeed) url() string { return f.srv.URL }

// add appends an entry (kind, value, forget_at, issued_before for user).
func (f *fakeFeed) add(kind, value string, forget time.Time, issuedBefore ...time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.head++
	e := map[string]any{"cursor": f.head, "kind": kind, "value": value, "forget_at": forget.Unix()}
	if len(issuedBefore) > 0 {
		e["issued_before"] = issuedBefore[0].Unix()
	}
	f.entries = append(f.entries, e)
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeFeed) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *fakeFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || id != feedClient || secret != "s3cret+s3cret" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	wait, _ := time.ParseDuration(r.URL.Query().Get("wait"))
	deadline := time.After(wait)
	for {
		f.mu.Lock()
		f.requests++
		if f.down {
			f.mu.Unlock()
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if f.raw != "" {
			raw := f.raw
			f.mu.Unlock()
			w.Write([]byte(raw))
			return
		}
		resync := f.resync
		f.resync = false
		if resync {
			since = 0
		}
		var page []map[string]any
		for _, e := range f.entries {
			if e["cursor"].(int64) > since {
				page = append(page, e)
			}
		}
		head, changed := f.head, f.changed
		f.mu.Unlock()
		if len(page) > 0 || resync || wait == 0 {
			json.NewEncoder(w).Encode(map[string]any{"revocations": append([]map[string]any{}, page...), "next": max(since, head), "resync": resync})
			return
		}
		select {
		case <-changed:
		case <-deadline:
			wait = 0
		case <-r.Context().Done():
			return
		}
	}
}

// newFeedFixture is a clock, a fake feed and a RevocationFeed following it,
// whose background polls report on polls, and whose backoff after a
// failure is no wait at all (the test reading polls sets the pace).
func newFeedFixture(t *testing.T, opts ...Option) (*clock, *fakeFeed, *RevocationFeed, chan error) {
	t.Helper()
	clk := newClock()
	fake := newFakeFeed(t)
	polls := make(chan error, 100)
	base := []Option{WithNow(clk.Now), WithFeedWait(5 * time.Second), func(c *config) {
		c.polled = func(err error) { polls <- err }
		c.after = func(time.Duration) <-chan time.Time {
			ch := make(chan time.Time, 1)
			ch <- time.Time{}
			return ch
		}
	}}
	feed, err := NewRevocationFeed(context.Background(), fake.url(), feedClient, feedSecret, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { feed.Close() })
	return clk, fake, feed, polls
}

// nextPoll waits for the feed's next background poll and returns its error.
func nextPoll(t *testing.T, polls chan error) error {
	t.Helper()
	select {
	case err := <-polls:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the feed did not poll within 30 s")
		return nil
	}
}

// pollOK waits until a poll succeeds after whatever it was doing.
func pollOK(t *testing.T, polls chan error) {
	t.Helper()
	for {
		if err := nextPoll(t, polls); err == nil {
			return
		}
	}
}

func TestFeedRefusesWhatItsEntriesMatch(t *testing.T) {
	clk, fake, feed, polls := newFeedFixture(t)
	k, other := newKey(t, token.ES256), newKey(t, token.ES256)
	v := localVerifier(t, keySet(t, k, other), clk, WithRevocations(feed))
	ctx := context.Background()
	forget := testNow.Add(20 * time.Minute)

	user2 := func(iat time.Time) *Claims {
		c := testClaims(gatehouse.NewID(), gatehouse.NewID())
		c.Subject, c.IssuedAt = "user-2", iat
		return c
	}
	byJTI, bySID := testClaims(gatehouse.NewID(), gatehouse.NewID()), testClaims(gatehouse.NewID(), gatehouse.NewID())
	oddJTI := testClaims("not-a-gatehouse-id", gatehouse.NewID())
	cases := []struct {
		name    string
		tok     string
		revoked bool
	}{
		{"a revoked jti", mint(t, k, byJTI), true},
		{"a token of a revoked session", mint(t, k, bySID), true},
		{"a revoked jti that is not in Gatehouse's id form", mint(t, k, oddJTI), true},
		{"a token of the user issued before the mark", mint(t, k, user2(testNow.Add(-2*time.Second))), true},
		{"a token of the user issued at the mark", mint(t, k, user2(testNow)), false},
		{"a token signed by a revoked key", mint(t, other, testClaims(gatehouse.NewID(), gatehouse.NewID())), true},
		{"an unrelated token", mint(t, k, testClaims(gatehouse.NewID(), gatehouse.NewID())), false},
	}
	// Verified (and cached) before the revocations reach the feed.
	for _, c := range cases {
		if _, err := v.Verify(ctx, c.tok); err != nil {
			t.Fatalf("%s before any revocation: %v", c.name, err)
		}
	}
	fake.add("jti", byJTI.ID, forget)
	fake.add("sid", bySID.SessionID, forget)
	fake.add("jti", oddJTI.ID, forget)
	fake.add("user", "user-2", forget, testNow)
	fake.add("kid", other.ID(), forget)
	for feed.cursor.Load() < 5 {
		pollOK(t, polls)
	}
	for _, c := range cases {
		_, err := v.Verify(ctx, c.tok)
		switch {
		case c.revoked && !errors.Is(err, ErrRevoked):
			t.Errorf("%s: %v, want ErrRevoked", c.name, err)
		case !c.revoked && err != nil:
			t.Errorf("%s: %v, want accepted", c.name, err)
		}
	}
	if _, ok := v.Keys().Key(other.ID()); ok {
		t.Error("the revoked key is still in the key set")
	}
	if got := feed.Stats().Entries; got["jti"] != 2 || got["sid"] != 1 || got["user"] != 1 || got["kid"] != 1 {
		t.Errorf("entries %v, want 2 jti, 1 sid, 1 user, 1 kid", got)
	}
}

// A revocation arriving while many requests verify the same token: once
// the feed has applied it, no verification that starts afterwards accepts
// the token, cached or not, and no request sees it accepted after having
// seen it refused. Rounds of concurrent verifiers, each released by a
// barrier, race the feed's apply.
func TestFeedRevocationRacesVerificationsInFlight(t *testing.T) {
	clk, fake, feed, polls := newFeedFixture(t)
	k := newKey(t, token.HS256)
	v := localVerifier(t, keySet(t, k), clk, WithRevocations(feed))
	ctx := context.Background()
	forget := testNow.Add(time.Hour)
	for round := range 20 {
		c := testClaims(gatehouse.NewID(), gatehouse.NewID())
		tok := mint(t, k, c)
		start := make(chan struct{})
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var flips []string
		for g := range 8 {
			wg.Go(func() {
				<-start
				refused := false
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, err := v.Verify(ctx, tok)
					switch {
					case err == nil && refused:
						mu.Lock()
						flips = append(flips, "verifier "+strconv.Itoa(g)+" accepted the token after refusing it")
						mu.Unlock()
						return
					case errors.Is(err, ErrRevoked):
						refused = true
					case err != nil:
						mu.Lock()
						flips = append(flips, err.Error())
						mu.Unlock()
						return
					}
				}
			})
		}
		close(start)
		fake.add([]string{"jti", "sid"}[round%2], []string{c.ID, c.SessionID}[round%2], forget)
		for feed.cursor.Load() < int64(round+1) {
			pollOK(t, polls)
		}
		// Applied: from now on every verification refuses it.
		for range 100 {
			if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevoked) {
				t.Fatalf("round %d: a verification after the apply: %v, want ErrRevoked", round, err)
			}
		}
		close(stop)
		wg.Wait()
		if len(flips) > 0 {
			t.Fatalf("round %d: %v", round, flips)
		}
	}
}

func TestFeedForgetsEntriesPastTheirForgetTime(t *testing.T) {
	clk, fake, feed, _ := newFeedFixture(t)
	fake.add("jti", gatehouse.NewID(), testNow.Add(time.Minute))
	fake.add("sid", "odd-sid", testNow.Add(time.Minute))
	fake.add("user", "user-9", testNow.Add(time.Minute), testNow)
	fake.add("jti", gatehouse.NewID(), testNow.Add(time.Hour))
	if err := feed.syncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		for _, c := range feed.Stats().Entries {
			n += c
		}
		return n
	}
	if n := count(); n != 4 {
		t.Fatalf("%d entries held, want 4", n)
	}
	clk.Advance(2 * time.Minute)
	for range idShards {
		feed.set.sweep(clk.Now())
	}
	if n := count(); n != 1 {
		t.Fatalf("%d entries held after a full sweep, want the one still in force", n)
	}
}

// The feed unreachable for 30 s, then back: the API keeps the last known
// state meanwhile (a token revoked before the outage stays refused, one
// revoked during it is still accepted), retries, and catches up at once
// when the feed answers again; its staleness shows the gap.
func TestFeedUnreachableThenBack(t *testing.T) {
	clk, fake, feed, polls := newFeedFixture(t)
	k := newKey(t, token.HS256)
	v := localVerifier(t, keySet(t, k), clk, WithRevocations(feed))
	ctx := context.Background()
	before, during := testClaims(gatehouse.NewID(), "s1"), testClaims(gatehouse.NewID(), "s2")
	fake.add("jti", before.ID, testNow.Add(time.Hour))
	pollOK(t, polls)

	fake.setDown(true)
	fake.add("jti", during.ID, testNow.Add(time.Hour))
	for range 3 { // failures, retried with backoff
		if err := nextPoll(t, polls); err == nil {
			t.Fatal("a poll succeeded while the feed was down")
		}
		clk.Advance(10 * time.Second)
	}
	if s := feed.Staleness(); s < 30*time.Second {
		t.Errorf("staleness %v after 30 s without an answer", s)
	}
	if _, err := v.Verify(ctx, mint(t, k, before)); !errors.Is(err, ErrRevoked) {
		t.Errorf("the token revoked before the outage: %v, want still refused", err)
	}
	if _, err := v.Verify(ctx, mint(t, k, during)); err != nil {
		t.Errorf("the token revoked during the outage, unknown yet: %v", err)
	}
	if st := feed.Stats(); st.Failures < 3 {
		t.Errorf("failures = %d, want 3 or more", st.Failures)
	}

	fake.setDown(false)
	pollOK(t, polls)
	if _, err := v.Verify(ctx, mint(t, k, during)); !errors.Is(err, ErrRevoked) {
		t.Errorf("after the feed came back: %v, want ErrRevoked", err)
	}
	if s := feed.Staleness(); s > 0 {
		t.Errorf("staleness %v right after an answer, want 0 (the clock did not move)", s)
	}
}

func TestFeedFailsClosedPastTheMaximumStaleness(t *testing.T) {
	clk, fake, feed, polls := newFeedFixture(t, WithMaxStaleness(time.Minute))
	k := newKey(t, token.HS256)
	v := localVerifier(t, keySet(t, k), clk, WithRevocations(feed))
	h := Middleware(v)(echoSubject)
	tok := mint(t, k, testClaims(gatehouse.NewID(), "s1"))
	if rec := serve(h, request("/", "Bearer "+tok)); rec.Code != http.StatusOK {
		t.Fatalf("fresh feed: %d", rec.Code)
	}
	fake.setDown(true)
	nextPoll(t, polls)
	clk.Advance(61 * time.Second)
	rec := serve(h, request("/", "Bearer "+tok))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "temporarily_unavailable") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("stale feed: %d %s, want 503 temporarily_unavailable with Retry-After", rec.Code, rec.Body)
	}
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrFeedStale) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Verify: %v, want ErrFeedStale (an ErrUnavailable)", err)
	}
	fake.setDown(false)
	pollOK(t, polls)
	if rec := serve(h, request("/", "Bearer "+tok)); rec.Code != http.StatusOK {
		t.Fatalf("after the feed answered again: %d", rec.Code)
	}
	if feed.wait > 30*time.Second {
		t.Errorf("long poll wait %v, want at most half the maximum staleness", feed.wait)
	}
}

func TestFeedResynchronisesFromASnapshot(t *testing.T) {
	_, fake, feed, polls := newFeedFixture(t)
	jti := gatehouse.NewID()
	fake.add("jti", jti, testNow.Add(time.Hour))
	pollOK(t, polls)
	fake.mu.Lock()
	fake.resync = true
	fake.mu.Unlock()
	fake.add("sid", "s9", testNow.Add(time.Hour))
	pollOK(t, polls)
	st := feed.Stats()
	if st.Resyncs != 1 || st.Entries["jti"] != 1 || st.Entries["sid"] != 1 || st.Cursor != 2 {
		t.Fatalf("stats %+v, want one resync, both entries, cursor 2", st)
	}
}

func TestFeedRefusesMalformedAnswersWhole(t *testing.T) {
	for name, raw := range map[string]string{
		"not JSON":                 `<html>`,
		"no next":                  `{"revocations":[]}`,
		"next behind the cursor":   `{"revocations":[],"next":-1}`,
		"a user without its time":  `{"revocations":[{"cursor":1,"kind":"user","value":"u","forget_at":99999999999}],"next":1}`,
		"an entry without a value": `{"revocations":[{"cursor":1,"kind":"jti","value":"","forget_at":99999999999}],"next":1}`,
		"an entry past next":       `{"revocations":[{"cursor":5,"kind":"jti","value":"j","forget_at":99999999999}],"next":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeFeed(t)
			fake.raw = raw
			_, err := NewRevocationFeed(context.Background(), fake.url(), feedClient, feedSecret, WithNow(newClock().Now))
			if err == nil {
				t.Fatal("the feed started on a malformed answer")
			}
		})
	}
}

func TestFeedIgnoresUnknownKinds(t *testing.T) {
	fake := newFakeFeed(t)
	fake.add("tenant", "acme", testNow.Add(time.Hour))
	fake.add("jti", "j1", testNow.Add(time.Hour))
	feed, err := NewRevocationFeed(context.Background(), fake.url(), feedClient, feedSecret, WithNow(newClock().Now))
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	if st := feed.Stats(); st.Entries["jti"] != 1 || st.Cursor != 2 {
		t.Fatalf("stats %+v, want the jti entry and the cursor past the unknown one", st)
	}
}

func TestNewRevocationFeedRefuses(t *testing.T) {
	fake := newFakeFeed(t)
	ctx := context.Background()
	if _, err := NewRevocationFeed(ctx, fake.url(), feedClient, "wrong", WithNow(newClock().Now)); err == nil {
		t.Error("a wrong secret: the feed started")
	}
	if _, err := NewRevocationFeed(ctx, "http://issuer.example", feedClient, feedSecret); !errors.Is(err, ErrInsecureIssuer) {
		t.Errorf("a plain-http issuer that is not loopback: %v, want ErrInsecureIssuer (the secret would travel in clear)", err)
	}
	if _, err := NewRevocationFeed(ctx, fake.url(), "", ""); err == nil {
		t.Error("no client: the feed started")
	}
}

// A RemoteVerifier with WithRevocationFeed: the key a kid entry revokes
// leaves its key set, stays out when the JWKS still lists it, and a token
// it signed is refused without fetching the JWKS again.
func TestRemoteVerifierFollowsTheFeed(t *testing.T) {
	active, revoked := newKey(t, token.ES256), newKey(t, token.ES256)
	iss := newIssuerServer(t, active.Public(), revoked.Public())
	fake := &fakeFeed{t: t, changed: make(chan struct{})}
	iss.feed = fake
	clk := newClock()
	polls := make(chan error, 100)
	v, err := NewRemoteVerifier(context.Background(), iss.srv.URL, WithAudience(testAudience), WithNow(clk.Now),
		WithRevocationFeed(feedClient, feedSecret), WithFeedWait(5*time.Second),
		func(c *config) { c.polled = func(err error) { polls <- err } })
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok := issuerToken(t, iss, revoked, gatehouse.NewID())
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("before the key's revocation: %v", err)
	}
	fake.add("kid", revoked.ID(), testNow.Add(time.Hour))
	pollOK(t, polls)
	fetches := iss.fetches()
	clk.Advance(2 * DefaultRefetchInterval) // a refetch would not be rate-limited
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrRevoked) {
		t.Fatalf("a token of the revoked key: %v, want ErrRevoked", err)
	}
	if n := iss.fetches(); n != fetches {
		t.Errorf("%d JWKS fetches for a token of a revoked key, want none", n-fetches)
	}
	if _, ok := v.Keys().Key(revoked.ID()); ok {
		t.Error("the revoked key is in the key set")
	}
	v.local.SetKeys(keySet(t, active.Public(), revoked.Public())) // a JWKS refresh that still lists it
	if _, ok := v.Keys().Key(revoked.ID()); ok {
		t.Error("a refresh brought the revoked key back")
	}
	if _, err := v.Verify(context.Background(), issuerToken(t, iss, active, gatehouse.NewID())); err != nil {
		t.Errorf("a token of the active key: %v", err)
	}
	if v.Feed() == nil || v.Feed().Staleness() > 2*DefaultRefetchInterval {
		t.Error("Feed() does not report the feed")
	}
}

// Two polls from the same cursor, answered out of order: the background
// long poll's answer was read by the issuer when only the first entry
// existed, and arrives after a read that already got both. Applying it
// would move the cursor back (and bring swept entries in again); it is
// dropped instead, and counts as no failure.
func TestFeedAnAnswerOlderThanTheCursorIsNotApplied(t *testing.T) {
	entry := func(c int64) map[string]any {
		return map[string]any{"cursor": c, "kind": "jti", "value": gatehouse.NewID(), "forget_at": testNow.Add(time.Hour).Unix()}
	}
	both := []map[string]any{entry(1), entry(2)}
	var mu sync.Mutex
	synced, longPolls := false, 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(es []map[string]any, next int64) {
			json.NewEncoder(w).Encode(map[string]any{"revocations": es, "next": next})
		}
		if r.URL.Query().Get("wait") == "" { // a read without waiting: the start, or the test's
			mu.Lock()
			first := !synced
			synced = true
			mu.Unlock()
			since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
			if first || since >= 2 {
				answer(nil, since)
			} else {
				answer(both[since:], 2)
			}
			return
		}
		mu.Lock()
		longPolls++
		n := longPolls
		mu.Unlock()
		if n > 1 {
			<-r.Context().Done() // later long polls find nothing new
			return
		}
		<-release
		answer(both[:1], 1) // what the issuer read before the second entry
	}))
	t.Cleanup(srv.Close)
	clk := newClock()
	polls := make(chan error, 10)
	feed, err := NewRevocationFeed(context.Background(), srv.URL, feedClient, feedSecret, WithNow(clk.Now), WithFeedWait(5*time.Second),
		func(c *config) { c.polled = func(err error) { polls <- err } })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { feed.Close() })
	if err := feed.syncNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := feed.cursor.Load(); c != 2 {
		t.Fatalf("cursor %d after reading both entries, want 2", c)
	}
	close(release)
	if err := nextPoll(t, polls); err != nil {
		t.Fatalf("the older answer counted as a failure: %v", err)
	}
	if c := feed.cursor.Load(); c != 2 {
		t.Fatalf("cursor %d after an older answer arrived, want it still 2", c)
	}
	if st := feed.Stats(); st.Failures != 0 || st.Entries["jti"] != 2 {
		t.Fatalf("stats %+v, want no failure and both entries", st)
	}
}
