package guard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/token"
)

// BenchmarkVerify measures a verification that checks the signature beside
// one answered by the verified-token cache, per algorithm, in the same run.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	for _, alg := range []token.Algorithm{token.ES256, token.EdDSA, token.RS256, token.HS256} {
		key := newKey(b, alg)
		verifyKey := key.Public()
		if alg == token.HS256 {
			verifyKey = key // a secret verifies with itself
		}
		ks := keySet(b, verifyKey)
		tok := mint(b, key, testClaims("j1", "s1"))
		clk := newClock()
		b.Run(string(alg)+"/uncached", func(b *testing.B) {
			v := localVerifier(b, ks, clk, WithCache(0))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(alg)+"/cached", func(b *testing.B) {
			v := localVerifier(b, ks, clk)
			mustVerify(b, v, tok)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCachedParallel is the cached path under concurrent use.
func BenchmarkVerifyCachedParallel(b *testing.B) {
	key := newKey(b, token.ES256)
	v := localVerifier(b, keySet(b, key.Public()), newClock())
	tok := mint(b, key, testClaims("j1", "s1"))
	mustVerify(b, v, tok)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMiddlewareCached is a whole protected request with a cached token.
func BenchmarkMiddlewareCached(b *testing.B) {
	key := newKey(b, token.ES256)
	v := localVerifier(b, keySet(b, key.Public()), newClock())
	tok := mint(b, key, testClaims("j1", "s1"))
	h := Middleware(v)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
	if w.Code != http.StatusOK {
		b.Fatal(w.Code)
	}
}

// BenchmarkMiddlewareCookieMode is a whole protected request with a cached
// token from the Authorization header, from the cookie (a GET, not checked
// for CSRF) and from the cookie on a POST that passes the CSRF rule, in
// the same run: what cookie mode and its CSRF rule add.
func BenchmarkMiddlewareCookieMode(b *testing.B) {
	key := newKey(b, token.ES256)
	v := localVerifier(b, keySet(b, key.Public()), newClock())
	tok := mint(b, key, testClaims("j1", "s1"))
	h := Middleware(v, WithCookie(AccessCookie))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	header := httptest.NewRequest(http.MethodGet, "/", nil)
	header.Header.Set("Authorization", "Bearer "+tok)
	cookieGet := httptest.NewRequest(http.MethodGet, "/", nil)
	cookieGet.AddCookie(&http.Cookie{Name: AccessCookie, Value: tok})
	cookiePost := httptest.NewRequest(http.MethodPost, "/", nil)
	cookiePost.AddCookie(&http.Cookie{Name: AccessCookie, Value: tok})
	cookiePost.Header.Set("Sec-Fetch-Site", "same-origin")
	cookiePost.Header.Set(CSRFHeader, "fetch")
	for _, c := range []struct {
		name string
		r    *http.Request
	}{{"header", header}, {"cookie-GET", cookieGet}, {"cookie-POST-CSRF", cookiePost}} {
		b.Run(c.name, func(b *testing.B) {
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, c.r)
			}
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		})
	}
}
