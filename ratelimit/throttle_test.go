package ratelimit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The table of docs/throttling.md: failures of one account from one IP,
// with the defaults.
func TestDefaultBackoffTable(t *testing.T) {
	want := map[int64]time.Duration{
		1: 0, 2: 0, 3: 0, 4: 0, 5: 0,
		6: time.Second, 7: 2 * time.Second, 8: 4 * time.Second, 9: 8 * time.Second,
		10: 16 * time.Second, 11: 32 * time.Second, 12: 64 * time.Second,
		13: 128 * time.Second, 14: 256 * time.Second, 15: 512 * time.Second,
		16: 15 * time.Minute, 17: 15 * time.Minute, 100: 15 * time.Minute, 1 << 40: 15 * time.Minute,
	}
	var c Config
	for n, d := range want {
		if got := c.Delay(n, 5); got != d {
			t.Errorf("Delay(%d failures) = %v; want %v", n, got, d)
		}
	}
}

func TestRepeatedFailuresBackOffExponentially(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{})
	for range 5 {
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	}
	for _, delay := range []time.Duration{1, 2, 4, 8, 16} {
		delay *= time.Second
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
		wantRefused(t, decide(t, th, "alice", "198.51.100.7"), ReasonPair, delay)
		clk.Advance(delay - time.Millisecond)
		wantRefused(t, decide(t, th, "alice", "198.51.100.7"), ReasonPair, time.Millisecond)
		clk.Advance(time.Millisecond)
	}
	wantAllowed(t, decide(t, th, "alice", "198.51.100.7"))
}

func TestDelayIsCappedAtMaxDelay(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{PairFree: 1, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	for range 30 {
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
		clk.Advance(10 * time.Second)
	}
	wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	wantRefused(t, decide(t, th, "alice", "198.51.100.7"), ReasonPair, 10*time.Second)
}

func TestSuccessResetsThePairCounter(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{})
	for range 6 {
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	}
	clk.Advance(time.Second)
	wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	if d := decide(t, th, "alice", "198.51.100.7"); d.Allowed {
		t.Fatal("seven failures did not throttle")
	}
	clk.Advance(2 * time.Second)
	logIn(t, th, "alice", "198.51.100.7")
	wantAllowed(t, decide(t, th, "alice", "198.51.100.7"))
	for range 5 { // the five free failures are free again
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
		wantAllowed(t, decide(t, th, "alice", "198.51.100.7"))
	}
	wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	wantRefused(t, decide(t, th, "alice", "198.51.100.7"), ReasonPair, time.Second)
}

func TestSuccessClearsABlock(t *testing.T) {
	th, _, _ := newMemThrottle(Config{PairFree: 1})
	// The owner's login is in flight when a failure blocks the pair.
	d, a := reserveLogin(t, th, "alice", "198.51.100.7")
	wantAllowed(t, d)
	wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	wantRefused(t, decide(t, th, "alice", "198.51.100.7"), ReasonPair, time.Second)
	if err := a.Succeeded(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantAllowed(t, decide(t, th, "alice", "198.51.100.7"))
}

func TestAnAttackerElsewhereCannotLockTheOwnerOut(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{})
	const owner = "203.0.113.10"
	logIn(t, th, "alice", owner) // alice has logged in from here before
	clk.Advance(24 * time.Hour)

	// One attacker hammering from one address, waiting out every delay.
	for range 40 {
		guess(t, th, "alice", "198.51.100.66")
		clk.Advance(time.Second)
	}
	// A botnet: 200 addresses, two guesses each.
	for i := range 200 {
		for range 2 {
			guess(t, th, "alice", fmt.Sprintf("192.0.2.%d", i))
		}
	}

	if d := decide(t, th, "alice", "198.51.100.66"); d.Allowed {
		t.Error("the hammering address is not throttled")
	}
	if d := decide(t, th, "alice", "192.0.2.250"); d.Allowed || d.Reason != ReasonAccount {
		t.Errorf("a fresh attacker address got %+v; want refused for the account", d)
	}
	// The owner, from where they logged in before, is not held back.
	wantAllowed(t, decide(t, th, "alice", owner))
	// And their own typos still count only against them, from there.
	for range 5 {
		wantAllowed(t, guess(t, th, "alice", owner))
	}
	wantAllowed(t, decide(t, th, "alice", owner))
	wantAllowed(t, guess(t, th, "alice", owner))
	wantRefused(t, decide(t, th, "alice", owner), ReasonPair, time.Second)
}

func TestOtherAccountsAreNotAffectedByAnAttackOnOne(t *testing.T) {
	th, _, _ := newMemThrottle(Config{})
	for i := range 30 {
		guess(t, th, "alice", fmt.Sprintf("192.0.2.%d", i))
	}
	wantAllowed(t, decide(t, th, "bob", "192.0.2.200"))
}

func TestAnUnknownAddressWaitsOutTheAccountBackoff(t *testing.T) {
	// The documented cost of the design: while an account is under attack
	// from many addresses, its owner on a new network waits like them.
	th, clk, _ := newMemThrottle(Config{})
	for i := range 10 {
		wantAllowed(t, guess(t, th, "alice", fmt.Sprintf("192.0.2.%d", i)))
	}
	wantAllowed(t, decide(t, th, "alice", "203.0.113.99"))
	wantAllowed(t, guess(t, th, "alice", "192.0.2.10"))
	wantRefused(t, decide(t, th, "alice", "203.0.113.99"), ReasonAccount, time.Second)
	clk.Advance(time.Second)
	wantAllowed(t, decide(t, th, "alice", "203.0.113.99"))
}

func TestPasswordSprayingFromOneAddressIsThrottled(t *testing.T) {
	th, _, _ := newMemThrottle(Config{})
	logIn(t, th, "carol", "198.51.100.1") // carol uses this address (say, an office NAT)
	for i := range 20 {
		wantAllowed(t, guess(t, th, fmt.Sprintf("user%d", i), "198.51.100.1"))
	}
	wantAllowed(t, decide(t, th, "user99", "198.51.100.1"))
	wantAllowed(t, guess(t, th, "user20", "198.51.100.1"))
	wantRefused(t, decide(t, th, "user99", "198.51.100.1"), ReasonIP, time.Second)
	// carol, for whom the address is known, is not held back by it.
	wantAllowed(t, decide(t, th, "carol", "198.51.100.1"))
	// Nor is the same user elsewhere.
	wantAllowed(t, decide(t, th, "user99", "198.51.100.2"))
}

func TestGlobalBoundOnFailuresPerSecond(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{GlobalPerSecond: 10})
	clk.Advance(300 * time.Millisecond) // 0.3 s into a second
	logIn(t, th, "dave", "203.0.113.4")
	for i := range 9 {
		wantAllowed(t, guess(t, th, fmt.Sprintf("user%d", i), fmt.Sprintf("192.0.2.%d", i)))
	}
	wantAllowed(t, decide(t, th, "erin", "198.51.100.5"))
	wantAllowed(t, guess(t, th, "user9", "192.0.2.9"))
	wantRefused(t, decide(t, th, "erin", "198.51.100.5"), ReasonGlobal, 700*time.Millisecond)
	wantAllowed(t, decide(t, th, "dave", "203.0.113.4")) // known: not held back
	clk.Advance(700 * time.Millisecond)
	wantAllowed(t, decide(t, th, "erin", "198.51.100.5"))
}

// When several counters refuse an attempt, the longest wait is the one
// to tell (docs/throttling.md).
func TestThroughReserveARefusalGivesTheLongestWait(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{})
	const ip = "198.51.100.7"
	for range 5 {
		guess(t, th, "alice", ip)
	}
	for i := range 16 { // the IP's 21st failure: a 1 s wait for all its accounts
		guess(t, th, fmt.Sprintf("user%d", i), ip)
	}
	clk.Advance(time.Second)
	wantAllowed(t, guess(t, th, "alice", ip)) // the pair's 6th (1 s), the IP's 22nd (2 s)
	// The pair refuses first; the IP's longer wait is the one to tell.
	wantRefused(t, decide(t, th, "alice", ip), ReasonIP, 2*time.Second)
}

func TestNoGlobalBoundWhenNegative(t *testing.T) {
	th, _, _ := newMemThrottle(Config{GlobalPerSecond: -1})
	for i := range 500 {
		wantAllowed(t, guess(t, th, fmt.Sprintf("user%d", i), fmt.Sprintf("10.0.%d.%d", i/256, i%256)))
	}
	wantAllowed(t, decide(t, th, "erin", "198.51.100.5"))
}

func TestAKnownAddressIsForgottenAfterKnownFor(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{KnownFor: 48 * time.Hour})
	logIn(t, th, "alice", "203.0.113.10")
	clk.Advance(48 * time.Hour)
	for i := range 11 {
		wantAllowed(t, guess(t, th, "alice", fmt.Sprintf("192.0.2.%d", i)))
	}
	wantRefused(t, decide(t, th, "alice", "203.0.113.10"), ReasonAccount, time.Second)
}

func TestCountersAreForgottenAfterTheWindow(t *testing.T) {
	th, clk, _ := newMemThrottle(Config{Window: time.Hour, MaxDelay: time.Minute})
	for range 5 {
		wantAllowed(t, guess(t, th, "alice", "198.51.100.7"))
	}
	clk.Advance(time.Hour)
	wantAllowed(t, guess(t, th, "alice", "198.51.100.7")) // the first of a new count: free
	wantAllowed(t, decide(t, th, "alice", "198.51.100.7"))
}

func TestIPv6AddressesCountPerSlash64(t *testing.T) {
	th, _, _ := newMemThrottle(Config{PairFree: 2})
	wantAllowed(t, guess(t, th, "alice", "2001:db8:1:2::1"))
	wantAllowed(t, guess(t, th, "alice", "2001:db8:1:2:aaaa::2"))
	wantAllowed(t, guess(t, th, "alice", "2001:db8:1:2:ffff:ffff:ffff:ffff"))
	wantRefused(t, decide(t, th, "alice", "2001:db8:1:2::99"), ReasonPair, time.Second)
	wantAllowed(t, decide(t, th, "alice", "2001:db8:1:3::1"))
	// IPv4-mapped IPv6 is the IPv4 address.
	wantAllowed(t, guess(t, th, "bob", "::ffff:192.0.2.1"))
	wantAllowed(t, guess(t, th, "bob", "192.0.2.1"))
	wantAllowed(t, guess(t, th, "bob", "192.0.2.1"))
	wantRefused(t, decide(t, th, "bob", "192.0.2.1"), ReasonPair, time.Second)
}

func TestKeysDoNotContainAccountsOrAddresses(t *testing.T) {
	th, _, m := newMemThrottle(Config{})
	guess(t, th, "alice.liddell@example.org", "198.51.100.7")
	logIn(t, th, "alice.liddell@example.org", "198.51.100.7")
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) == 0 {
		t.Fatal("nothing stored")
	}
	for k := range m.m {
		if strings.Contains(k, "alice") || strings.Contains(k, "198.51") {
			t.Errorf("key %q reveals the account or address", k)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    Decision
		want int
	}{
		{Decision{Allowed: true}, 0},
		{Decision{RetryAfter: time.Millisecond}, 1},
		{Decision{RetryAfter: time.Second}, 1},
		{Decision{RetryAfter: time.Second + time.Millisecond}, 2},
		{Decision{RetryAfter: 15 * time.Minute}, 900},
	} {
		if got := tc.d.RetryAfterSeconds(); got != tc.want {
			t.Errorf("%+v.RetryAfterSeconds() = %d; want %d", tc.d, got, tc.want)
		}
	}
}

func TestStatsCountRefusalsByReason(t *testing.T) {
	th, _, _ := newMemThrottle(Config{PairFree: 1})
	guess(t, th, "alice", "198.51.100.7")
	guess(t, th, "alice", "198.51.100.7")
	decide(t, th, "alice", "198.51.100.7")
	decide(t, th, "alice", "198.51.100.7")
	if s := th.Stats(); s.Throttled[ReasonPair] != 2 || s.Throttled[ReasonIP] != 0 || s.Fallback {
		t.Fatalf("Stats = %+v", s)
	}
}
