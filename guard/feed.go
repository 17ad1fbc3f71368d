package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RevocationFeed follows an issuer's revocation feed (GET /revocations,
// docs/revocation.md) and keeps in memory what is still in force: revoked
// access tokens (jti), sessions (sid), users' tokens issued before a time,
// and signing keys (kid). Verifiers given it (WithRevocations, or
// WithRevocationFeed on NewRemoteVerifier) refuse the tokens it matches with
// ErrRevoked and drop them from their verified-token caches as entries
// arrive, so an API learns of a logout within moments and never calls the
// issuer per request.
//
// It long-polls the feed from a goroutine of its own. When the feed cannot
// be reached it keeps the last state it had, retries with backoff (250 ms
// doubling to 5 s), and its Staleness grows; with WithMaxStaleness, the
// verifiers then refuse every token with ErrUnavailable (503) rather than
// trust a state older than that. Entries are dropped once past their
// forget_at, when every token they match has expired. It is safe for
// concurrent use; Close stops it.
type RevocationFeed struct {
	url           string
	id, secret    string
	client        *http.Client
	now           func() time.Time
	logger        *slog.Logger
	wait          time.Duration
	maxStale      time.Duration
	after         func(time.Duration) <-chan time.Time
	polled        func(error) // test seam: called after each background poll
	set           *revocationSet
	applyMu       sync.Mutex // one answer applied at a time, each from the cursor it asked from
	cursor        atomic.Int64
	lastSync      atomic.Int64 // Unix nanoseconds of the last answer, by now
	resyncs       atomic.Int64
	failures      atomic.Int64
	unknownLogged sync.Map // kinds already warned about

	mu        sync.Mutex
	listeners map[*LocalVerifier]struct{}

	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// Defaults of the feed.
const (
	// DefaultFeedWait is how long a long poll of the feed waits for an
	// entry. A healthy feed's Staleness stays below it.
	DefaultFeedWait = 15 * time.Second
	// feedBackoffMin and feedBackoffMax bound the wait between failed polls.
	feedBackoffMin = 250 * time.Millisecond
	feedBackoffMax = 5 * time.Second
	// maxFeedBody caps one answer of the feed (a page of 1,000 entries is
	// about 120 KB).
	maxFeedBody = 8 << 20
	// sweepEvery is how often one shard of the held entries is swept.
	sweepEvery = time.Second
)

// ErrFeedStale: the revocation feed has not answered for longer than
// WithMaxStaleness allows. It wraps ErrUnavailable.
var ErrFeedStale = fmt.Errorf("%w: revocation feed too stale", ErrUnavailable)

// NewRevocationFeed starts following the revocation feed of the issuer at
// issuerURL (its /revocations endpoint, or WithFeedURL) as the confidential
// client clientID, and returns once it holds everything the feed has in
// force: ctx bounds that first synchronisation only, and the feed fails to
// start if it fails. The transport rule of NewRemoteVerifier applies (https,
// or loopback http, or WithInsecureHTTP): the client secret is sent with
// every poll.
//
// It takes WithHTTPClient (its Timeout is replaced by one per poll),
// WithNow, WithLogger, WithInsecureHTTP, WithMaxStaleness, WithFeedWait and
// WithFeedURL.
func NewRevocationFeed(ctx context.Context, issuerURL, clientID, clientSecret string, opts ...Option) (*RevocationFeed, error) {
	return newRevocationFeed(ctx, issuerURL, clientID, clientSecret, newConfig(opts))
}

func newRevocationFeed(ctx context.Context, issuerURL, clientID, clientSecret string, cfg config) (*RevocationFeed, error) {
	if clientID == "" || clientSecret == "" {
		return nil, errors.New("guard: the revocation feed needs a client id and secret")
	}
	feedURL := cfg.feedURL
	if feedURL == "" {
		u, err := checkIssuer(issuerURL, cfg.insecureHTTP)
		if err != nil {
			return nil, err
		}
		feedURL = strings.TrimSuffix(u.String(), "/") + "/revocations"
	}
	if _, err := checkURL(feedURL, cfg.insecureHTTP); err != nil {
		return nil, fmt.Errorf("guard: revocation feed: %w", err)
	}
	if cfg.maxStale < 0 || cfg.feedWait < 0 {
		return nil, errors.New("guard: negative staleness or feed wait")
	}
	hc := cfg.client
	if hc == nil {
		hc = defaultHTTPClient(cfg.insecureHTTP)
	}
	feedClient := *hc
	feedClient.Timeout = 0 // each poll has its own deadline
	wait := cfg.feedWait
	if wait == 0 {
		wait = DefaultFeedWait
	}
	if cfg.maxStale > 0 {
		// A long poll answers at least every wait: keep a healthy feed well
		// inside the staleness allowed.
		wait = max(min(wait, cfg.maxStale/2), time.Second)
	}
	bg, cancel := context.WithCancel(context.Background())
	f := &RevocationFeed{
		url: feedURL, id: clientID, secret: clientSecret,
		client: &feedClient, now: cfg.now, logger: cfg.logger,
		wait: wait, maxStale: cfg.maxStale, after: cfg.after, polled: cfg.polled,
		set:       newRevocationSet(),
		listeners: map[*LocalVerifier]struct{}{},
		ctx:       bg, cancel: cancel, done: make(chan struct{}),
	}
	if f.after == nil {
		f.after = time.After
	}
	if err := f.syncNow(ctx); err != nil {
		cancel()
		return nil, err
	}
	go f.run()
	return f, nil
}

// Staleness is how long ago the feed last answered: how much of what was
// revoked since this API may not know yet. A healthy feed's stays below
// the long poll's wait (DefaultFeedWait); it grows while the feed cannot be
// reached.
func (f *RevocationFeed) Staleness() time.Duration {
	return max(0, f.now().Sub(time.Unix(0, f.lastSync.Load())))
}

// FeedStats is what a RevocationFeed reports about itself.
type FeedStats struct {
	Staleness time.Duration
	// Entries held, by kind ("jti", "sid", "user", "kid").
	Entries map[string]int
	// Cursor is where the next poll continues from.
	Cursor int64
	// Resyncs counts the times the feed sent a snapshot from the start
	// (the cursor fell behind what the issuer keeps, or the issuer's
	// database changed); Failures the polls that failed.
	Resyncs, Failures int64
}

// Stats reports the feed's state (for metrics: see guard/guardprom).
func (f *RevocationFeed) Stats() FeedStats {
	return FeedStats{
		Staleness: f.Staleness(),
		Entries:   f.set.counts(),
		Cursor:    f.cursor.Load(),
		Resyncs:   f.resyncs.Load(),
		Failures:  f.failures.Load(),
	}
}

// Check reports whether a token whose signature and claims verified may be
// accepted: ErrRevoked if an entry matches it, ErrFeedStale if the feed is
// staler than WithMaxStaleness allows, nil otherwise.
func (f *RevocationFeed) Check(c *Claims) error {
	if err := f.fresh(); err != nil {
		return err
	}
	if f.set.revoked(c) {
		return ErrRevoked
	}
	return nil
}

// fresh is ErrFeedStale past the maximum staleness.
func (f *RevocationFeed) fresh() error {
	if f.maxStale > 0 {
		if s := f.Staleness(); s > f.maxStale {
			return fmt.Errorf("%w (%v without an answer)", ErrFeedStale, s.Round(time.Second))
		}
	}
	return nil
}

// Close stops following the feed. Verifiers using it keep the state it
// had (and their maximum staleness then refuses every token). Close is
// idempotent and always returns nil.
func (f *RevocationFeed) Close() error {
	f.closeOnce.Do(func() {
		f.cancel()
		<-f.done
	})
	return nil
}

// listen makes v evict from its cache what new entries match.
func (f *RevocationFeed) listen(v *LocalVerifier) {
	f.mu.Lock()
	f.listeners[v] = struct{}{}
	f.mu.Unlock()
}

func (f *RevocationFeed) unlisten(v *LocalVerifier) {
	f.mu.Lock()
	delete(f.listeners, v)
	f.mu.Unlock()
}

// syncNow reads the feed until it is up to date (an empty page), without
// waiting.
func (f *RevocationFeed) syncNow(ctx context.Context) error {
	for {
		n, err := f.poll(ctx, 0)
		if errors.Is(err, errSuperseded) {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// run long-polls until Close, sweeping expired entries as it goes.
func (f *RevocationFeed) run() {
	defer close(f.done)
	go f.sweepLoop()
	failures := 0
	down := time.Time{}
	for f.ctx.Err() == nil {
		_, err := f.poll(f.ctx, f.wait)
		if f.ctx.Err() != nil {
			return
		}
		if errors.Is(err, errSuperseded) {
			err = nil
		}
		if err != nil {
			f.failures.Add(1) // counted before the seam, so Stats agrees with it
		}
		if f.polled != nil {
			f.polled(err)
		}
		if err == nil {
			if failures > 0 {
				f.logger.Info("guard: revocation feed reachable again; caught up", "url", f.url, "unreachable_for", f.now().Sub(down).Round(time.Millisecond).String())
			}
			failures = 0
			continue
		}
		if failures == 0 {
			down = f.now()
			f.logger.Warn("guard: revocation feed unreachable; keeping the last known state and retrying", "url", f.url, "err", err)
		}
		failures++
		delay := feedBackoff(failures)
		var ra *retryAfterError
		if errors.As(err, &ra) {
			delay = max(delay, ra.d)
		}
		select {
		case <-f.ctx.Done():
			return
		case <-f.after(delay):
		}
	}
}

// feedBackoff is the wait after n failed polls in a row: 250 ms doubling to
// 5 s, less up to a fifth at random so that many APIs do not poll in step.
func feedBackoff(n int) time.Duration {
	d := feedBackoffMin << min(n-1, 10)
	d = min(d, feedBackoffMax)
	return d - time.Duration(rand.Int64N(int64(d/5)+1))
}

func (f *RevocationFeed) sweepLoop() {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-t.C:
			f.set.sweep(f.now())
		}
	}
}

// retryAfterError is a 429 or 503 answer with the wait it asked for.
type retryAfterError struct {
	status int
	d      time.Duration
}

func (e *retryAfterError) Error() string {
	return fmt.Sprintf("guard: revocation feed answered %d; retry after %v", e.status, e.d)
}

// feedAnswer is the JSON of a /revocations answer.
type feedAnswer struct {
	Revocations []struct {
		Cursor       int64  `json:"cursor"`
		Kind         string `json:"kind"`
		Value        string `json:"value"`
		IssuedBefore *int64 `json:"issued_before"`
		ForgetAt     int64  `json:"forget_at"`
	} `json:"revocations"`
	Next   *int64 `json:"next"`
	Resync bool   `json:"resync"`
}

// errSuperseded is a poll's answer left unapplied because another poll's
// moved the cursor first. It is not a failure.
var errSuperseded = errors.New("guard: revocation feed answer superseded")

// poll asks for what follows the cursor, waiting up to wait, applies the
// answer and returns how many entries it had.
func (f *RevocationFeed) poll(ctx context.Context, wait time.Duration) (int, error) {
	since := f.cursor.Load()
	q := url.Values{"since": {strconv.FormatInt(since, 10)}}
	if wait > 0 {
		q.Set("wait", strconv.FormatInt(int64(wait/time.Millisecond), 10)+"ms")
	}
	pctx, cancel := context.WithTimeout(ctx, wait+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, f.url+"?"+q.Encode(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(f.id), url.QueryEscape(f.secret)) // RFC 6749 §2.3.1
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("guard: revocation feed: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		d, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return 0, &retryAfterError{resp.StatusCode, min(time.Duration(max(d, 0))*time.Second, 30*time.Second)}
	case resp.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("guard: revocation feed: GET %s: status %d", f.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFeedBody+1))
	if err != nil {
		return 0, fmt.Errorf("guard: revocation feed: %w", err)
	}
	if len(body) > maxFeedBody {
		return 0, fmt.Errorf("guard: revocation feed: answer over %d bytes", maxFeedBody)
	}
	var a feedAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return 0, fmt.Errorf("guard: revocation feed: %w", err)
	}
	es, err := f.entries(&a, since)
	if err != nil {
		return 0, err
	}
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	if f.cursor.Load() != since {
		// Another poll applied an answer from this cursor meanwhile; this
		// one may be older, and applying it would move the cursor back and
		// bring swept entries in again.
		return 0, errSuperseded
	}
	f.apply(es)
	if a.Resync {
		f.resyncs.Add(1)
		f.logger.Info("guard: revocation feed sent a snapshot to resynchronise from", "cursor", since, "next", *a.Next)
	}
	f.cursor.Store(*a.Next)
	// The issuer read its feed for this answer just before sending it.
	f.lastSync.Store(f.now().UnixNano())
	return len(es), nil
}

// entries checks an answer and returns its entries. An answer that is not
// what the feed promises is refused whole (and the cursor stays), so that
// a fault never makes the state skip what it held back.
func (f *RevocationFeed) entries(a *feedAnswer, since int64) ([]entry, error) {
	bad := func(why string) ([]entry, error) {
		return nil, fmt.Errorf("guard: revocation feed: malformed answer: %s", why)
	}
	if a.Next == nil || *a.Next < 0 || (!a.Resync && *a.Next < since) {
		return bad("next missing or behind the cursor")
	}
	es := make([]entry, 0, len(a.Revocations))
	for _, r := range a.Revocations {
		if r.Cursor <= 0 || r.Cursor > *a.Next || r.Value == "" || len(r.Value) > 1024 || r.ForgetAt <= 0 {
			return bad("an entry without a cursor up to next, a value or a forget_at")
		}
		e := entry{kind: r.Kind, value: r.Value, forget: r.ForgetAt}
		switch r.Kind {
		case kindJTI, kindSID, kindKID:
		case kindUser:
			if r.IssuedBefore == nil {
				return bad("a user entry without issued_before")
			}
			e.issuedBefore = *r.IssuedBefore
		default:
			if _, seen := f.unknownLogged.LoadOrStore(r.Kind, true); !seen {
				f.logger.Warn("guard: revocation feed entry of an unknown kind ignored; upgrade guard", "kind", r.Kind)
			}
			continue
		}
		es = append(es, e)
	}
	return es, nil
}

// apply adds entries to the set, then evicts what they match from every
// listening verifier's cache, in that order: a verification that reads the
// set before the add puts nothing in a cache after the eviction (the
// cache's generation moved).
func (f *RevocationFeed) apply(es []entry) {
	if len(es) == 0 {
		return
	}
	f.set.add(es)
	f.mu.Lock()
	ls := make([]*LocalVerifier, 0, len(f.listeners))
	for v := range f.listeners {
		ls = append(ls, v)
	}
	f.mu.Unlock()
	for _, v := range ls {
		v.revokedEntries(es)
	}
}
