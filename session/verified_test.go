package session

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

// verifiedFixture is a verifier over one ES256 key and a signer of tokens
// it accepts.
type verifiedFixture struct {
	t      *testing.T
	now    time.Time
	key    *token.Key
	signer *token.Signer
	v      *token.Verifier
}

func newVerifiedFixture(t *testing.T) *verifiedFixture {
	t.Helper()
	f := &verifiedFixture{t: t, now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	var err error
	if f.key, err = token.GenerateKey(token.ES256); err != nil {
		t.Fatal(err)
	}
	if f.signer, err = token.NewSigner(f.key); err != nil {
		t.Fatal(err)
	}
	set, err := token.NewKeySet(f.key)
	if err != nil {
		t.Fatal(err)
	}
	f.v, err = token.NewVerifier(set, token.Options{Issuer: "https://issuer.test", Audience: "https://issuer.test",
		Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sign returns a token of jti that expires in ttl.
func (f *verifiedFixture) sign(jti string, ttl time.Duration) string {
	f.t.Helper()
	tok, err := f.signer.Sign(&gatehouse.Claims{Issuer: "https://issuer.test", Subject: "u1",
		Audience: []string{"https://issuer.test"}, ID: jti, ClientID: "gatehouse", SessionID: "s1",
		IssuedAt: f.now, ExpiresAt: f.now.Add(ttl)})
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

func TestAVerifiedTokenIsServedFromTheCache(t *testing.T) {
	f := newVerifiedFixture(t)
	c := newVerifiedTokens(1 << 20)
	tok := f.sign("a", 15*time.Minute)
	first, err := c.verify(f.v, tok, f.now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.verify(f.v, tok, f.now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// Verify decodes fresh claims on every call: the same pointer is the
	// cache's.
	if first != second {
		t.Error("the second check of a token verified it again")
	}
	if n, w := c.len(); n != 1 || w != len(tok)+verifiedOverhead {
		t.Errorf("%d entries weighing %d, want 1 weighing %d", n, w, len(tok)+verifiedOverhead)
	}
}

func TestTheCacheNeverHoldsAFailedVerification(t *testing.T) {
	f := newVerifiedFixture(t)
	c := newVerifiedTokens(1 << 20)
	tok := f.sign("a", 15*time.Minute)
	forged := tok[:len(tok)-4] + "AAAA"
	for range 2 {
		if _, err := c.verify(f.v, forged, f.now); !errors.Is(err, token.ErrInvalid) {
			t.Fatalf("forged token: err = %v, want ErrInvalid", err)
		}
	}
	if n, _ := c.len(); n != 0 {
		t.Errorf("%d entries after failed verifications", n)
	}
}

func TestACachedTokenOfAKeyThatLeftTheSetIsRefused(t *testing.T) {
	f := newVerifiedFixture(t)
	c := newVerifiedTokens(1 << 20)
	tok := f.sign("a", 15*time.Minute)
	if _, err := c.verify(f.v, tok, f.now); err != nil {
		t.Fatal(err)
	}
	other, err := token.GenerateKey(token.ES256)
	if err != nil {
		t.Fatal(err)
	}
	set, err := token.NewKeySet(other)
	if err != nil {
		t.Fatal(err)
	}
	f.v.SetKeys(set)
	if _, err := c.verify(f.v, tok, f.now); !errors.Is(err, token.ErrUnknownKey) {
		t.Fatalf("token of a removed key: err = %v, want ErrUnknownKey", err)
	}
	if n, w := c.len(); n != 0 || w != 0 {
		t.Errorf("the entry of the removed key's token is still cached (%d entries, weight %d)", n, w)
	}
	// The key back in a new set (a reload): the token verifies again.
	set, err = token.NewKeySet(f.key, other)
	if err != nil {
		t.Fatal(err)
	}
	f.v.SetKeys(set)
	if _, err := c.verify(f.v, tok, f.now); err != nil {
		t.Fatalf("token of a key back in the set: %v", err)
	}
}

func TestACachedTokenIsJudgedAgainFromItsExpiry(t *testing.T) {
	f := newVerifiedFixture(t)
	c := newVerifiedTokens(1 << 20)
	tok := f.sign("a", time.Minute)
	if _, err := c.verify(f.v, tok, f.now); err != nil {
		t.Fatal(err)
	}
	// Past exp and past the verifier's leeway: refused, whatever the cache
	// remembered.
	f.now = f.now.Add(2 * time.Minute)
	if _, err := c.verify(f.v, tok, f.now); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("expired token: err = %v, want ErrExpired", err)
	}
	if n, _ := c.len(); n != 0 {
		t.Errorf("%d entries, want the expired one gone", n)
	}
}

func TestTheCacheStaysWithinItsBudget(t *testing.T) {
	f := newVerifiedFixture(t)
	one := len(f.sign("x", time.Minute)) + verifiedOverhead
	c := newVerifiedTokens(4*one + one/2) // room for four
	toks := make([]string, 10)
	for i := range toks {
		toks[i] = f.sign(fmt.Sprint(i), time.Duration(i+1)*time.Minute)
		if _, err := c.verify(f.v, toks[i], f.now); err != nil {
			t.Fatal(err)
		}
		if n, w := c.len(); w > c.budget || n > 4 {
			t.Fatalf("%d entries weighing %d after %d tokens, budget %d", n, w, i+1, c.budget)
		}
	}
	if n, _ := c.len(); n != 4 {
		t.Errorf("%d entries, want the budget's four", n)
	}
	// The sample covers all of so few entries: the soonest-expiring went
	// first, and the four that expire last are the ones cached.
	for i, tok := range toks {
		_, cached := c.entries[sha256.Sum256([]byte(tok))]
		if want := i >= 6; cached != want {
			t.Errorf("token %d (expires in %d min) cached: %v, want %v", i, i+1, cached, want)
		}
	}
	// Every token still verifies, cached or not.
	for _, tok := range toks {
		if _, err := c.verify(f.v, tok, f.now); err != nil {
			t.Fatal(err)
		}
	}
	// A token heavier than the whole budget is verified, never cached.
	small := newVerifiedTokens(one / 2)
	if _, err := small.verify(f.v, toks[0], f.now); err != nil {
		t.Fatal(err)
	}
	if n, w := small.len(); n != 0 || w != 0 {
		t.Errorf("a token over the budget was cached: %d entries, weight %d", n, w)
	}
}
