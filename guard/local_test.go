package guard

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

func TestLocalVerifierChecks(t *testing.T) {
	key := newKey(t, token.ES256)
	other := newKey(t, token.ES256)
	ks := keySet(t, key.Public())
	tests := []struct {
		name    string
		tok     func() string
		wantErr error // nil: accepted
	}{
		{"a valid token verifies", func() string { return mint(t, key, testClaims("j1", "s1")) }, nil},
		{"a token for another audience is refused", func() string {
			c := testClaims("j1", "s1")
			c.Audience = []string{"billing"}
			return mint(t, key, c)
		}, ErrInvalidToken},
		{"a token of another issuer is refused", func() string {
			c := testClaims("j1", "s1")
			c.Issuer = "https://evil.test"
			return mint(t, key, c)
		}, ErrInvalidToken},
		{"a token signed by a key outside the set is refused as an unknown key", func() string {
			return mint(t, other, testClaims("j1", "s1"))
		}, token.ErrUnknownKey},
		{"an expired token is refused as expired", func() string {
			c := testClaims("j1", "s1")
			c.IssuedAt = testNow.Add(-time.Hour)
			c.ExpiresAt = testNow.Add(-10 * time.Minute)
			return mint(t, key, c)
		}, token.ErrExpired},
		{"a token over MaxTokenSize is refused", func() string {
			return strings.Repeat("a", MaxTokenSize+1)
		}, ErrInvalidToken},
		{"garbage is refused", func() string { return "not.a.token" }, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := localVerifier(t, ks, newClock())
			c, err := v.Verify(context.Background(), tt.tok())
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.Subject != "user-1" || c.ID != "j1" || c.KeyID != key.ID() {
					t.Fatalf("claims = %+v", c)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrInvalidToken) || c != nil {
				t.Fatalf("Verify = %v, %v; want nil and an error that is %v and ErrInvalidToken", c, err, tt.wantErr)
			}
		})
	}
}

func TestLocalVerifierCache(t *testing.T) {
	ctx := context.Background()
	k1, k2 := newKey(t, token.ES256), newKey(t, token.EdDSA)
	ks := keySet(t, k1.Public(), k2.Public())

	t.Run("a repeated token is served from the cache", func(t *testing.T) {
		v := localVerifier(t, ks, newClock())
		tok := mint(t, k1, testClaims("j1", "s1"))
		first := mustVerify(t, v, tok)
		if second := mustVerify(t, v, tok); second != first {
			t.Fatal("second Verify did not come from the cache")
		}
	})
	t.Run("WithCache(0) disables the cache", func(t *testing.T) {
		v := localVerifier(t, ks, newClock(), WithCache(0))
		tok := mint(t, k1, testClaims("j1", "s1"))
		first, second := mustVerify(t, v, tok), mustVerify(t, v, tok)
		if first == second {
			t.Fatal("the token was cached")
		}
	})
	t.Run("a cached token is checked against its exp on every hit", func(t *testing.T) {
		clk := newClock()
		v := localVerifier(t, ks, clk)
		tok := mint(t, k1, testClaims("j1", "s1"))
		first := mustVerify(t, v, tok)
		clk.Advance(15*time.Minute - time.Nanosecond)
		if mustVerify(t, v, tok) != first {
			t.Fatal("a token before its exp was not served from the cache")
		}
		clk.Advance(time.Nanosecond) // at exp: the cache no longer answers
		if c, err := v.Verify(ctx, tok); err == nil && c == first {
			t.Fatal("a token at its exp was served from the cache")
		}
		if n := v.cache.len(); n != 0 {
			t.Fatalf("cache holds %d entries after exp; want 0", n)
		}
		clk.Advance(2 * time.Minute) // past any leeway
		if _, err := v.Verify(ctx, tok); !errors.Is(err, token.ErrExpired) {
			t.Fatalf("Verify after exp = %v; want ErrExpired", err)
		}
	})
	t.Run("the cache is bounded", func(t *testing.T) {
		v := localVerifier(t, ks, newClock(), WithCache(2))
		for _, jti := range []string{"j1", "j2", "j3"} {
			mustVerify(t, v, mint(t, k1, testClaims(jti, "s1")))
		}
		if n := v.cache.len(); n != 2 {
			t.Fatalf("cache holds %d entries; want 2", n)
		}
	})
	t.Run("Evict by jti drops that token from the cache", func(t *testing.T) {
		v := localVerifier(t, ks, newClock())
		a, b := mint(t, k1, testClaims("j1", "s1")), mint(t, k1, testClaims("j2", "s1"))
		ca, cb := mustVerify(t, v, a), mustVerify(t, v, b)
		v.Evict("j1", "")
		if mustVerify(t, v, a) == ca {
			t.Fatal("the evicted token came from the cache")
		}
		if mustVerify(t, v, b) != cb {
			t.Fatal("another token of the session was evicted")
		}
	})
	t.Run("Evict by sid drops every token of the session", func(t *testing.T) {
		v := localVerifier(t, ks, newClock())
		a, b := mint(t, k1, testClaims("j1", "s1")), mint(t, k1, testClaims("j2", "s1"))
		c := mint(t, k1, testClaims("j3", "s2"))
		ca, cb, cc := mustVerify(t, v, a), mustVerify(t, v, b), mustVerify(t, v, c)
		v.Evict("", "s1")
		if mustVerify(t, v, a) == ca || mustVerify(t, v, b) == cb {
			t.Fatal("a token of the evicted session came from the cache")
		}
		if mustVerify(t, v, c) != cc {
			t.Fatal("a token of another session was evicted")
		}
	})
	t.Run("removing a key evicts the tokens it signed", func(t *testing.T) {
		v := localVerifier(t, ks, newClock())
		a, b := mint(t, k1, testClaims("j1", "s1")), mint(t, k2, testClaims("j2", "s1"))
		mustVerify(t, v, a)
		cb := mustVerify(t, v, b)
		v.SetKeys(keySet(t, k2.Public()))
		if _, err := v.Verify(ctx, a); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("Verify of a token of the removed key = %v; want ErrUnknownKey", err)
		}
		if mustVerify(t, v, b) != cb {
			t.Fatal("a token of a kept key was evicted")
		}
	})
	t.Run("an eviction during a verification keeps its result out of the cache", func(t *testing.T) {
		c := newTokenCache(10)
		gen := c.generation()
		c.evict("j1", "")
		c.put("tok", testClaims("j1", "s1"), gen, testNow, notRevoked)
		if n := c.len(); n != 0 {
			t.Fatalf("cache holds %d entries; want 0", n)
		}
	})
	t.Run("a put after the revocation is dropped, and a refusal removes an earlier put", func(t *testing.T) {
		c := newTokenCache(10)
		c.put("tok", testClaims("j1", "s1"), c.generation(), testNow, func(*Claims) bool { return true })
		if n := c.len(); n != 0 {
			t.Fatalf("a put its revoked check refuses: cache holds %d entries; want 0", n)
		}
		c.put("tok", testClaims("j1", "s1"), c.generation(), testNow, notRevoked)
		c.remove("tok")
		if _, hit := c.get("tok", testNow); hit {
			t.Fatal("a removed token is still served")
		}
	})
	t.Run("a full cache evicts the soonest-expiring entry", func(t *testing.T) {
		c := newTokenCache(3)
		for i, ttl := range []time.Duration{10 * time.Minute, time.Minute, 5 * time.Minute} {
			cl := testClaims(string(rune('a'+i)), "s")
			cl.ExpiresAt = testNow.Add(ttl)
			c.put(cl.ID, cl, c.generation(), testNow, notRevoked)
		}
		c.put("d", testClaims("d", "s"), c.generation(), testNow, notRevoked)
		for tok, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
			if _, got := c.get(tok, testNow); got != want {
				t.Errorf("entry %s cached = %v; want %v", tok, got, want)
			}
		}
	})
}

func TestLocalVerifierRevocationCheck(t *testing.T) {
	ctx := context.Background()
	key := newKey(t, token.ES256)
	revoked := map[string]bool{}
	var down error
	check := func(_ context.Context, jti, sid string) (bool, error) {
		return revoked[jti] || revoked[sid], down
	}
	v := localVerifier(t, keySet(t, key.Public()), newClock(), WithRevocationCheck(check))
	tok := mint(t, key, testClaims("j1", "s1"))

	mustVerify(t, v, tok)
	revoked["s1"] = true
	if c, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevoked) || !errors.Is(err, ErrInvalidToken) || c != nil {
		t.Fatalf("cached revoked token: Verify = %v, %v; want ErrRevoked", c, err)
	}
	v.Evict("", "s1")
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevoked) {
		t.Fatalf("uncached revoked token: Verify = %v; want ErrRevoked", err)
	}
	revoked["s1"] = false
	down = errors.New("feed unreachable")
	if c, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalidToken) || c != nil {
		t.Fatalf("failed check: Verify = %v, %v; want ErrUnavailable (fail closed)", c, err)
	}
}

func mustVerify(t testing.TB, v Verifier, tok string) *Claims {
	t.Helper()
	c, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return c
}

func TestNewLocalVerifierRequiresIssuerAndAudience(t *testing.T) {
	ks := keySet(t, newKey(t, token.ES256).Public())
	tests := []struct {
		name string
		opts []Option
	}{
		{"without an audience", []Option{WithIssuer(testIssuer)}},
		{"without an issuer", []Option{WithAudience(testAudience)}},
		{"with a negative cache size", []Option{WithIssuer(testIssuer), WithAudience(testAudience), WithCache(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := NewLocalVerifier(ks, tt.opts...); err == nil || v != nil {
				t.Fatalf("NewLocalVerifier = %v, %v; want an error", v, err)
			}
		})
	}
	if v, err := NewLocalVerifier(nil, WithIssuer(testIssuer), WithAudience(testAudience)); err == nil || v != nil {
		t.Fatalf("NewLocalVerifier(nil) = %v, %v; want an error", v, err)
	}
}

func notRevoked(*Claims) bool { return false }
