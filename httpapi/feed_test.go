package httpapi_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/httpapi"
)

// feedPage is a /revocations answer.
type feedPage struct {
	Revocations []struct {
		Cursor       int64  `json:"cursor"`
		Kind         string `json:"kind"`
		Value        string `json:"value"`
		IssuedBefore int64  `json:"issued_before"`
		ForgetAt     int64  `json:"forget_at"`
	} `json:"revocations"`
	Next   int64 `json:"next"`
	Resync *bool `json:"resync"`
}

func (p feedPage) kinds() string {
	var b strings.Builder
	for _, r := range p.Revocations {
		b.WriteString(r.Kind + ":" + r.Value + " ")
	}
	return strings.TrimSpace(b.String())
}

var apiClient = basic("api", "s3cret-s3cret")

func (f *fixture) feed(query string) feedPage {
	f.t.Helper()
	w := f.do(req{method: "GET", target: "/revocations" + query, header: apiClient})
	if w.Code != 200 {
		f.t.Fatalf("GET /revocations%s: %d %s", query, w.Code, w.Body)
	}
	var p feedPage
	decode(f.t, w, &p)
	if p.Resync == nil {
		f.t.Fatalf("GET /revocations%s: no resync member: %s", query, w.Body)
	}
	return p
}

// longPoll sends GET /revocations with wait= in the background.
func (f *fixture) longPoll(query string) <-chan *httptest.ResponseRecorder {
	out := make(chan *httptest.ResponseRecorder, 1)
	go func() { out <- f.do(req{method: "GET", target: "/revocations" + query, header: apiClient}) }()
	return out
}

// bound only limits how long a failing test waits; nothing is timed.
const bound = 30 * time.Second

func TestFeedUserEntriesCarryIssuedBeforeAndForgetTimesRoundUp(t *testing.T) {
	f, alice, _ := tokenFixture(t)
	f.clock.Advance(1500 * time.Millisecond) // a revocation inside a second
	if w := f.bearer("POST", "/logout", f.login("alice", alicePW).AccessToken+""); w.Code != 204 {
		t.Fatalf("logout: %d", w.Code)
	}
	if w := f.do(req{method: "POST", target: "/logout?all=true", header: bearerHeader(f.login("alice", alicePW).AccessToken)}); w.Code != 204 {
		t.Fatalf("logout all: %d %s", w.Code, w.Body)
	}
	p := f.feed("")
	u, err := f.store.UserByID(f.ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	var user bool
	for _, r := range p.Revocations {
		if r.Kind == "user" {
			user = true
			if r.Value != alice.ID || r.IssuedBefore != u.Epoch.Unix() {
				t.Errorf("user entry %+v, want value %s issued_before %d", r, alice.ID, u.Epoch.Unix())
			}
		}
		if r.ForgetAt*int64(time.Second) < f.clock.Now().UnixNano() {
			t.Errorf("forget_at %d before now", r.ForgetAt)
		}
	}
	if !user || *p.Resync {
		t.Fatalf("feed %q resync %v, want a user entry and no resync", p.kinds(), *p.Resync)
	}
	all, err := f.store.Revocations(f.ctx, 0, 100, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range all {
		if want := r.ForgetAt.Unix() + 1; r.ForgetAt.Nanosecond() > 0 && p.Revocations[i].ForgetAt != want {
			t.Errorf("%s forget_at %d, want %d (rounded up from %v)", r.Value, p.Revocations[i].ForgetAt, want, r.ForgetAt)
		}
	}
}

func bearerHeader(tok string) map[string][]string {
	return map[string][]string{"Authorization": {"Bearer " + tok}}
}

func TestFeedLongPollAnswersWhenARevocationComes(t *testing.T) {
	f, _, tk := tokenFixture(t)
	head := f.feed("").Next
	got := f.longPoll("?since=" + itoa(head) + "&wait=60s")
	select {
	case w := <-got:
		t.Fatalf("the long poll answered before any revocation: %d %s", w.Code, w.Body)
	case <-time.After(50 * time.Millisecond):
	}
	if w := f.postForm("/revoke", form("token", tk.AccessToken)); w.Code != 200 {
		t.Fatalf("revoke: %d", w.Code)
	}
	select {
	case w := <-got:
		var p feedPage
		decode(t, w, &p)
		if w.Code != 200 || len(p.Revocations) != 1 || p.Revocations[0].Kind != "jti" || p.Next != p.Revocations[0].Cursor {
			t.Fatalf("long poll answered %d %s, want the jti entry", w.Code, w.Body)
		}
	case <-time.After(bound):
		t.Fatalf("the long poll did not answer within %v of the revocation", bound)
	}
}

func TestFeedLongPollAnswersEmptyAfterItsWait(t *testing.T) {
	f, _, _ := tokenFixture(t)
	start := time.Now()
	p := f.feed("?since=0&wait=300ms")
	if len(p.Revocations) != 0 || p.Next != 0 || *p.Resync {
		t.Fatalf("answer %+v, want an empty page at cursor 0", p)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Errorf("answered after %v, before its wait", time.Since(start))
	}
}

func TestFeedLongPollsEndWhenTheServerStops(t *testing.T) {
	stopping := make(chan struct{})
	f := newFixture(t, func(c *httpapi.Config) { c.Stopping = stopping })
	f.addClient("api", "s3cret-s3cret")
	got := f.longPoll("?wait=60s")
	select {
	case w := <-got:
		t.Fatalf("answered before the stop: %d %s", w.Code, w.Body)
	case <-time.After(50 * time.Millisecond):
	}
	close(stopping)
	select {
	case w := <-got:
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	case <-time.After(bound):
		t.Fatal("a long poll outlived the server's stop")
	}
}

func TestFeedNextPassesForgettableEntries(t *testing.T) {
	f, _, _ := tokenFixture(t)
	now := f.clock.Now()
	if err := f.store.RevokeAccessToken(f.ctx, "old", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RevokeAccessToken(f.ctx, "older", now, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	head := f.feed("").Next
	f.clock.Advance(time.Hour)
	p := f.feed("")
	if len(p.Revocations) != 0 || p.Next != head {
		t.Fatalf("feed %q next %d, want nothing in force and next %d (past the forgettable entries)", p.kinds(), p.Next, head)
	}
	// So Purge removing them does not send the reader back to resynchronise.
	if _, err := f.store.Purge(f.ctx, f.clock.Now(), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if p := f.feed("?since=" + itoa(head)); *p.Resync || p.Next != head {
		t.Fatalf("after the purge: resync %v next %d, want no resync at %d", *p.Resync, p.Next, head)
	}
}

func TestFeedTellsAReaderToResynchronise(t *testing.T) {
	f, _, _ := tokenFixture(t)
	now := f.clock.Now()
	for _, e := range []struct {
		jti    string
		forget time.Duration
	}{{"j1", time.Minute}, {"j2", time.Minute}, {"j3", time.Hour}, {"j4", time.Minute}} {
		if err := f.store.RevokeAccessToken(f.ctx, e.jti, now, now.Add(e.forget)); err != nil {
			t.Fatal(err)
		}
	}
	all := f.feed("")
	first, head := all.Revocations[0].Cursor, all.Next
	f.clock.Advance(10 * time.Minute)
	if _, err := f.store.Purge(f.ctx, f.clock.Now(), f.clock.Now()); err != nil {
		t.Fatal(err)
	}

	t.Run("a reader behind the floor gets a snapshot and resync", func(t *testing.T) {
		p := f.feed("?since=" + itoa(first))
		if !*p.Resync || p.kinds() != "jti:j3" || p.Next != head {
			t.Fatalf("answer %q resync %v next %d, want a snapshot of j3, resync, next %d", p.kinds(), *p.Resync, p.Next, head)
		}
		if again := f.feed("?since=" + itoa(p.Next)); *again.Resync || len(again.Revocations) != 0 {
			t.Fatalf("continuing from the snapshot: %q resync %v", again.kinds(), *again.Resync)
		}
	})
	t.Run("a reader ahead of the head gets a snapshot and resync", func(t *testing.T) {
		p := f.feed("?since=" + itoa(head+100))
		if !*p.Resync || p.kinds() != "jti:j3" || p.Next != head {
			t.Fatalf("answer %q resync %v next %d, want a snapshot of j3, resync, next %d", p.kinds(), *p.Resync, p.Next, head)
		}
	})
	t.Run("a long poll behind the floor answers at once", func(t *testing.T) {
		select {
		case w := <-f.longPoll("?since=" + itoa(first) + "&wait=60s"):
			var p feedPage
			decode(t, w, &p)
			if !*p.Resync {
				t.Fatalf("%s, want resync", w.Body)
			}
		case <-time.After(bound):
			t.Fatal("a long poll behind the floor waited")
		}
	})
	t.Run("a new reader gets the snapshot without resync", func(t *testing.T) {
		if p := f.feed("?since=0"); *p.Resync || p.kinds() != "jti:j3" {
			t.Fatalf("answer %q resync %v", p.kinds(), *p.Resync)
		}
	})
}

// withKind is a store whose feed also holds entries of a kind this server
// does not write (a key revocation), to show they pass through unchanged.
type withKind struct {
	gatehouse.Store
	extra gatehouse.Revocation
}

func (s withKind) Revocations(ctx context.Context, since int64, limit int, now time.Time) ([]gatehouse.Revocation, error) {
	rs, err := s.Store.Revocations(ctx, since, limit, now)
	if err == nil && since < s.extra.Cursor {
		rs = append(rs, s.extra)
	}
	return rs, err
}

func TestFeedPassesEveryKindThrough(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	extra := gatehouse.Revocation{Cursor: 7, Kind: "kid", Value: "key-1", Time: at, ForgetAt: at.Add(time.Hour)}
	f := newFixture(t, func(c *httpapi.Config) { c.Store = withKind{c.Store, extra} })
	f.addClient("api", "s3cret-s3cret")
	p := f.feed("")
	if len(p.Revocations) != 1 || p.Revocations[0].Kind != "kid" || p.Revocations[0].Value != "key-1" ||
		p.Revocations[0].ForgetAt != at.Add(time.Hour).Unix() || p.Revocations[0].IssuedBefore != 0 || p.Next != 7 {
		t.Fatalf("feed %+v, want the kid entry as it is", p)
	}
}

func TestFeedRefusesBadWaits(t *testing.T) {
	f, _, _ := tokenFixture(t)
	before := f.feed("")
	for _, q := range []string{"wait=61s", "wait=61", "wait=-1s", "wait=abc", "wait=1h", "wait=1m", "wait=30s&wait=1s", "wait=%00", "wait=1e3s"} {
		t.Run(q, func(t *testing.T) {
			w := f.do(req{method: "GET", target: "/revocations?" + q, header: apiClient})
			if w.Code != 400 || oauthErr(t, w) != "invalid_request" {
				t.Fatalf("%d %s, want 400 invalid_request", w.Code, w.Body)
			}
		})
	}
	for _, q := range []string{"wait=0", "wait=0s", "wait=250ms", "wait=1"} {
		if p := f.feed("?since=" + itoa(before.Next+0) + "&" + q); p.Next != before.Next {
			t.Errorf("%s: next %d, want %d", q, p.Next, before.Next)
		}
	}
}
