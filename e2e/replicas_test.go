package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Two `gatehouse serve` processes, A and B, on one PostgreSQL database and
// with one issuer, behave as one server.

func TestReplicasShareSessionsRevocationsAndKeys(t *testing.T) {
	db := newPostgresDB(t)
	gatehouseOn(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
	gatehouseOn(t, db, adminPassword+"\n", "user", "add", "root", "--password-stdin", "--scope", "gatehouse:admin")
	a := startReplica(t, db).url()
	b := startReplica(t, db).url()

	// log in on A; B verifies the access token
	first := login(t, a, "alice", alicePassword)
	if r := userinfo(t, b, first.access); r.status != http.StatusOK || r.str("preferred_username") != "alice" {
		t.Fatalf("userinfo on B with a token from A: %d %s", r.status, r.body)
	}

	// refresh on B what A issued; A verifies the result
	second := wantTokens(t, refresh(t, b, first.refresh))
	if second.refresh == first.refresh {
		t.Fatal("refresh on B returned the same refresh token")
	}
	if r := userinfo(t, a, second.access); r.status != http.StatusOK {
		t.Fatalf("userinfo on A with a token refreshed on B: %d %s", r.status, r.body)
	}

	// revoke an access token on B: A refuses it at once
	other := login(t, a, "alice", alicePassword)
	if r := call(t, "POST", b, "/revoke", url.Values{
		"token": {other.access}, "token_type_hint": {"access_token"},
	}, ""); r.status != http.StatusOK {
		t.Fatalf("revoke on B: %d %s", r.status, r.body)
	}
	wantInvalidToken(t, userinfo(t, a, other.access))

	// revoke the refresh token on B: the whole session ends, on A at once
	if r := call(t, "POST", b, "/revoke", url.Values{
		"token": {second.refresh}, "token_type_hint": {"refresh_token"},
	}, ""); r.status != http.StatusOK {
		t.Fatalf("revoke on B: %d %s", r.status, r.body)
	}
	wantInvalidToken(t, userinfo(t, a, second.access))
	wantInvalidToken(t, userinfo(t, a, first.access))
	wantOAuthError(t, refresh(t, a, second.refresh), http.StatusBadRequest, "invalid_grant")

	// rotate the keys on A, twice: the second rotation makes active a key
	// created by the first. Each time a token A signs afterwards verifies
	// on B at once.
	admin := loginAdmin(t, a, "root", adminPassword)
	signedBefore := tokenKid(t, first.access)
	for i := range 2 {
		active := rotateKeys(t, a, admin.access)
		if active == signedBefore {
			t.Fatalf("rotation %d on A left %q active", i+1, active)
		}
		fresh := login(t, a, "alice", alicePassword)
		if kid := tokenKid(t, fresh.access); kid != active {
			t.Fatalf("after rotation %d, A signs with %q, want the new active key %q", i+1, kid, active)
		}
		if r := userinfo(t, b, fresh.access); r.status != http.StatusOK {
			t.Fatalf("after rotation %d on A, B refuses a token A signed with %q: %d %s", i+1, active, r.status, r.body)
		}
		if got := kids(t, b); !slices.Contains(got, active) {
			t.Fatalf("after rotation %d, B's JWKS %v lacks the active key %q", i+1, got, active)
		}
		// the tokens signed before the rotation still verify on both
		if r := userinfo(t, b, admin.access); r.status != http.StatusOK {
			t.Fatalf("after rotation %d, B refuses a token signed before it: %d %s", i+1, r.status, r.body)
		}
		signedBefore = active
	}
}

func TestReplicasConcurrentRefreshesKeepOneLineage(t *testing.T) {
	const (
		rounds = 100
		racers = 50
		// The grace window covers a whole round of racing requests, with
		// room for a loaded machine; the end of the test waits it out.
		raceGrace = 5 * time.Second
	)
	db := newPostgresDB(t)
	gatehouseOn(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")
	a := startReplica(t, db, "--reuse-grace", raceGrace.String())
	b := startReplica(t, db, "--reuse-grace", raceGrace.String())
	bases := []string{a.url(), b.url()}

	// one login, then rounds chained: each round presents the successor
	// the previous round agreed on
	start := login(t, a.url(), "alice", alicePassword)
	sid, _ := claimsOf(t, start.access)["sid"].(string)
	if sid == "" {
		t.Fatal("access token without sid")
	}
	current, previous, lastAccess := start.refresh, "", start.access
	for round := 1; round <= rounds; round++ {
		res := refreshAtOnce(bases, current, racers)
		successor := ""
		for i, r := range res {
			replica := "AB"[i%2 : i%2+1]
			if r.err != nil {
				t.Fatalf("round %d, request %d on %s: %v", round, i, replica, r.err)
			}
			if r.status != http.StatusOK || r.refresh == "" || r.access == "" {
				t.Fatalf("round %d, request %d on %s: %d %s; want 200 with tokens", round, i, replica, r.status, r.body)
			}
			if successor == "" {
				successor = r.refresh
			}
			if r.refresh != successor {
				t.Fatalf("round %d: request %d on %s got another successor than request 0: two lineages", round, i, replica)
			}
			if got, _ := claimsOf(t, r.access)["sid"].(string); got != sid {
				t.Fatalf("round %d, request %d on %s: access token of session %q, want %q", round, i, replica, got, sid)
			}
		}
		if successor == current {
			t.Fatalf("round %d: the successor is the presented token", round)
		}
		previous, current, lastAccess = current, successor, res[0].access
	}

	// still one session, and it is live on both replicas
	r := call(t, "GET", b.url(), "/sessions", nil, lastAccess)
	if r.status != http.StatusOK {
		t.Fatalf("sessions on B: %d %s", r.status, r.body)
	}
	if list, _ := r.json["sessions"].([]any); len(list) != 1 {
		t.Fatalf("after %d rounds alice has %d sessions, want 1: %s", rounds, len(list), r.body)
	}
	if r := userinfo(t, a.url(), lastAccess); r.status != http.StatusOK {
		t.Fatalf("userinfo on A after the rounds: %d %s", r.status, r.body)
	}

	// after the grace window the last rotated token is reuse: the session
	// ends, its one live refresh token and its access tokens with it
	time.Sleep(raceGrace + raceGrace/2)
	wantOAuthError(t, refresh(t, a.url(), previous), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, refresh(t, b.url(), current), http.StatusBadRequest, "invalid_grant")
	wantInvalidToken(t, userinfo(t, a.url(), lastAccess))
	wantInvalidToken(t, userinfo(t, b.url(), lastAccess))
}

func TestReplicasShareLoginThrottlingThroughRedis(t *testing.T) {
	redisURL, prefix := newRedisPrefix(t)
	db := newPostgresDB(t)
	// One account per try: see the block window below.
	const tries = 3
	for i := range tries {
		gatehouseOn(t, db, alicePassword+"\n", "user", "add", fmt.Sprintf("alice%d", i), "--password-stdin", "--scope", "orders:read")
	}
	flags := []string{"--redis", redisURL, "--redis-prefix", prefix}
	a := startReplica(t, db, flags...).url()
	b := startReplica(t, db, flags...).url()

	for try := range tries {
		user := fmt.Sprintf("alice%d", try)
		attempt := func(base, pw string) *reply {
			return call(t, "POST", base, "/token", url.Values{
				"grant_type": {"password"}, "username": {user}, "password": {pw},
			}, "")
		}

		// docs/throttling.md: the pair account+IP has 5 free failures; the
		// 6th makes the next attempt wait 1 s. Spread over A and B, each sees
		// only 3, which no replica would block on by itself.
		const pairFree = 5
		for i := range pairFree + 1 {
			base := []string{a, b}[i%2]
			wantOAuthError(t, attempt(base, "wrong password"), http.StatusBadRequest, "invalid_grant")
		}
		blockedAt := time.Now()

		// the next attempt is refused on either replica, even with the right
		// password, which is not checked
		stalled := false
		for _, name := range []string{"A", "B"} {
			base := map[string]string{"A": a, "B": b}[name]
			r := attempt(base, alicePassword)
			if r.status != http.StatusTooManyRequests {
				// The block lasts one second. If this machine stalled for
				// most of it, the answer says nothing about sharing: try
				// again with a fresh account rather than guess.
				if time.Since(blockedAt) > 800*time.Millisecond && try < tries-1 {
					t.Logf("try %d: %s answered %d %.0f ms after the block began; trying again", try, name, r.status, float64(time.Since(blockedAt).Milliseconds()))
					stalled = true
					break
				}
				t.Fatalf("attempt on %s after %d failures over both replicas: %d %s, want 429", name, pairFree+1, r.status, r.body)
			}
			if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("429 on %s with Retry-After %q, want whole seconds ≥ 1", name, r.header.Get("Retry-After"))
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("429 on %s with Cache-Control %q, want no-store", name, r.header.Get("Cache-Control"))
			}
		}
		if stalled {
			continue
		}

		// once the wait is over the right password logs in (on B), and that
		// success resets the pair for A too: a wrong password there is a plain
		// failure again, not a refusal
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := attempt(b, alicePassword)
			if r.status == http.StatusOK {
				break
			}
			if r.status != http.StatusTooManyRequests || time.Now().After(deadline) {
				t.Fatalf("logging in on B once the wait is over: %d %s", r.status, r.body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		wantOAuthError(t, attempt(a, "wrong password"), http.StatusBadRequest, "invalid_grant")
		return
	}
}

// adminPassword is the password of the admin user of the replica tests.
const adminPassword = "admin horse battery staple"
