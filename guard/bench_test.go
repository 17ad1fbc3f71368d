package guard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
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

// BenchmarkRevocationSetMillion measures the memory a RevocationFeed holds
// for 1,000,000 live revocations (half jti, half sid, in Gatehouse's id
// form, plus 1% user entries) and what a look-up costs among them:
//
//	go test -run '^$' -bench RevocationSetMillion -benchtime 1x ./guard/
func BenchmarkRevocationSetMillion(b *testing.B) {
	const n = 1_000_000
	es := make([]entry, 0, n)
	forget := testNow.Add(16 * time.Minute).Unix()
	for i := range n {
		kind := kindJTI
		if i%2 == 1 {
			kind = kindSID
		}
		es = append(es, entry{kind: kind, value: gatehouse.NewID(), forget: forget + int64(i%900)})
	}
	for range n / 100 {
		es = append(es, entry{kind: kindUser, value: gatehouse.NewID(), issuedBefore: testNow.Unix(), forget: forget})
	}
	probe := testClaims(gatehouse.NewID(), gatehouse.NewID())
	var set *revocationSet
	var perEntry float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		set = newRevocationSet()
		for i := 0; i < len(es); i += 1000 { // as pages of the feed arrive
			set.add(es[i:min(i+1000, len(es))])
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(es))
	}
	b.ReportMetric(perEntry, "B/entry")
	b.ReportMetric(perEntry*float64(len(es))/(1<<20), "MiB")
	start := time.Now()
	const lookups = 1_000_000
	for range lookups {
		set.revoked(probe)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/lookups, "ns/lookup")
	start = time.Now()
	for range idShards {
		set.sweep(testNow)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/idShards, "µs/sweep")
	runtime.KeepAlive(es)
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
