package guard

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/token"
)

// issuerServer is an authorization server's discovery side: RFC 8414
// metadata and a JWKS whose keys, Cache-Control and health the test sets.
type issuerServer struct {
	t   *testing.T
	srv *httptest.Server

	mu           sync.Mutex
	issuer       string // issuer in the metadata; the server's URL by default
	jwksURI      string // jwks_uri in the metadata; the server's /jwks by default
	keys         *token.KeySet
	cacheControl string
	age          string
	down         bool
	jwksFetches  int
	metadataPath string // the path the metadata was last asked at
	feed         http.Handler
}

func newIssuerServer(t *testing.T, keys ...*token.Key) *issuerServer {
	s := &issuerServer{t: t, keys: keySet(t, keys...)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *issuerServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/revocations" && s.feed != nil {
		s.feed.ServeHTTP(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	switch {
	case r.URL.Path == "/jwks":
		s.jwksFetches++
		body, err := s.keys.JWKS()
		if err != nil {
			s.t.Error(err)
		}
		if s.cacheControl != "" {
			w.Header().Set("Cache-Control", s.cacheControl)
		}
		if s.age != "" {
			w.Header().Set("Age", s.age)
		}
		w.Write(body)
	default:
		s.metadataPath = r.URL.Path
		iss, jwks := s.issuer, s.jwksURI
		if iss == "" {
			iss = s.srv.URL
		}
		if jwks == "" {
			jwks = s.srv.URL + "/jwks"
		}
		json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": jwks})
	}
}

func (s *issuerServer) set(f func(s *issuerServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *issuerServer) askedAt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metadataPath
}

func (s *issuerServer) fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jwksFetches
}

// fakeTimer replaces the background refresh timer: each wait reports its
// delay on delays and ends when the test sends on ticks; each refresh
// reports its error on refreshed.
type fakeTimer struct {
	delays    chan time.Duration
	ticks     chan time.Time
	refreshed chan error
}

func newFakeTimer() *fakeTimer {
	return &fakeTimer{
		delays:    make(chan time.Duration, 16),
		ticks:     make(chan time.Time),
		refreshed: make(chan error, 16),
	}
}

func (f *fakeTimer) option() Option {
	return func(c *config) {
		c.after = func(d time.Duration) <-chan time.Time { f.delays <- d; return f.ticks }
		c.refreshed = func(err error) { f.refreshed <- err }
	}
}

// tick runs one background refresh and returns its error.
func (f *fakeTimer) tick() error {
	f.ticks <- time.Time{}
	return <-f.refreshed
}

// issuerToken mints a token of s's issuer.
func issuerToken(t *testing.T, s *issuerServer, k *token.Key, jti string) string {
	c := testClaims(jti, "s1")
	c.Issuer = s.srv.URL
	return mint(t, k, c)
}

func remoteVerifier(t *testing.T, s *issuerServer, clk *clock, ft *fakeTimer, opts ...Option) *RemoteVerifier {
	t.Helper()
	base := []Option{WithAudience(testAudience), WithNow(clk.Now), ft.option()}
	r, err := NewRemoteVerifier(context.Background(), s.srv.URL, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewRemoteVerifier: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRemoteVerifierDiscovery(t *testing.T) {
	ctx := context.Background()
	key := newKey(t, token.ES256)

	t.Run("a loopback http issuer is accepted and its tokens verify", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		r := remoteVerifier(t, s, newClock(), newFakeTimer())
		if c := mustVerify(t, r, issuerToken(t, s, key, "j1")); c.Issuer != s.srv.URL {
			t.Fatalf("iss = %q", c.Issuer)
		}
		if p := s.askedAt(); p != "/.well-known/oauth-authorization-server" {
			t.Fatalf("metadata asked at %q", p)
		}
	})
	t.Run("the metadata of an issuer with a path is at the well-known path before it", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		s.set(func(s *issuerServer) { s.issuer = s.srv.URL + "/tenant/a" })
		r, err := NewRemoteVerifier(ctx, s.srv.URL+"/tenant/a", WithAudience(testAudience), newFakeTimer().option())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if p := s.askedAt(); p != "/.well-known/oauth-authorization-server/tenant/a" {
			t.Fatalf("metadata asked at %q", p)
		}
	})
	t.Run("metadata naming another issuer is refused", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		s.set(func(s *issuerServer) { s.issuer = "https://evil.test" })
		if _, err := NewRemoteVerifier(ctx, s.srv.URL); !errors.Is(err, ErrIssuerMismatch) {
			t.Fatalf("NewRemoteVerifier = %v; want ErrIssuerMismatch", err)
		}
	})
	t.Run("metadata naming the issuer with a trailing slash is refused", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		s.set(func(s *issuerServer) { s.issuer = s.srv.URL + "/" })
		if _, err := NewRemoteVerifier(ctx, s.srv.URL); !errors.Is(err, ErrIssuerMismatch) {
			t.Fatalf("NewRemoteVerifier = %v; want ErrIssuerMismatch", err)
		}
	})
	t.Run("a plain http issuer that is not loopback is refused before any request", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		_, err := NewRemoteVerifier(ctx, "http://auth.example.com", WithHTTPClient(routeTo(s)))
		if !errors.Is(err, ErrInsecureIssuer) {
			t.Fatalf("NewRemoteVerifier = %v; want ErrInsecureIssuer", err)
		}
		if s.askedAt() != "" {
			t.Fatal("the metadata was fetched")
		}
	})
	t.Run("WithInsecureHTTP allows a plain http issuer that is not loopback", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		s.set(func(s *issuerServer) { s.issuer, s.jwksURI = "http://auth.example.com", "http://auth.example.com/jwks" })
		r, err := NewRemoteVerifier(ctx, "http://auth.example.com", WithHTTPClient(routeTo(s)),
			WithInsecureHTTP(), WithAudience(testAudience), newFakeTimer().option())
		if err != nil {
			t.Fatalf("NewRemoteVerifier: %v", err)
		}
		r.Close()
	})
	t.Run("a plain http jwks_uri that is not loopback is refused", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		s.set(func(s *issuerServer) { s.jwksURI = "http://keys.example.com/jwks" })
		if _, err := NewRemoteVerifier(ctx, s.srv.URL); !errors.Is(err, ErrInsecureIssuer) {
			t.Fatalf("NewRemoteVerifier = %v; want ErrInsecureIssuer", err)
		}
	})
	t.Run("an https issuer is accepted", func(t *testing.T) {
		s := &issuerServer{t: t, keys: keySet(t, key.Public())}
		s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serveHTTP))
		defer s.srv.Close()
		r, err := NewRemoteVerifier(ctx, s.srv.URL, WithHTTPClient(s.srv.Client()), WithAudience(testAudience), newFakeTimer().option())
		if err != nil {
			t.Fatalf("NewRemoteVerifier: %v", err)
		}
		r.Close()
	})
	t.Run("metadata without a jwks_uri is refused", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]string{"issuer": "http://" + r.Host})
		}))
		defer srv.Close()
		if _, err := NewRemoteVerifier(ctx, srv.URL); err == nil {
			t.Fatal("NewRemoteVerifier accepted metadata without jwks_uri")
		}
	})
	t.Run("an issuer that is down at start fails the constructor", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		s.set(func(s *issuerServer) { s.down = true })
		if _, err := NewRemoteVerifier(ctx, s.srv.URL); err == nil {
			t.Fatal("NewRemoteVerifier succeeded without keys")
		}
	})
	t.Run("an issuer URL with a query is refused", func(t *testing.T) {
		s := newIssuerServer(t, key.Public())
		if _, err := NewRemoteVerifier(ctx, s.srv.URL+"?a=b"); err == nil {
			t.Fatal("NewRemoteVerifier accepted an issuer with a query")
		}
	})
}

// routeTo is a client that sends every request, whatever its host, to s.
func routeTo(s *issuerServer) *http.Client {
	target, _ := url.Parse(s.srv.URL)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, target.Host)
	}}
	return &http.Client{Transport: tr}
}

func TestRemoteVerifierHonoursCacheControl(t *testing.T) {
	key := newKey(t, token.ES256)
	tests := []struct {
		name         string
		cacheControl string
		age          string
		want         time.Duration
	}{
		{"max-age sets the refresh delay", "public, max-age=300", "", 300 * time.Second},
		{"Age is taken off max-age", "max-age=600", "100", 500 * time.Second},
		{"no Cache-Control refreshes every 15 minutes", "", "", 15 * time.Minute},
		{"no-store refreshes after the refetch interval", "no-store", "", DefaultRefetchInterval},
		{"no-cache refreshes after the refetch interval", "max-age=300, no-cache", "", DefaultRefetchInterval},
		{"a max-age below the refetch interval is raised to it", "max-age=5", "", DefaultRefetchInterval},
		{"a max-age over a day is capped to a day", "max-age=9999999", "", 24 * time.Hour},
		{"an unreadable max-age is ignored", "max-age=soon", "", 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newIssuerServer(t, key.Public())
			s.set(func(s *issuerServer) { s.cacheControl, s.age = tt.cacheControl, tt.age })
			ft := newFakeTimer()
			remoteVerifier(t, s, newClock(), ft)
			if got := <-ft.delays; got != tt.want {
				t.Fatalf("refresh delay = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestRemoteVerifierKeys(t *testing.T) {
	ctx := context.Background()
	k1, k2, k3 := newKey(t, token.ES256), newKey(t, token.ES256), newKey(t, token.EdDSA)

	t.Run("background refresh picks up rotated keys", func(t *testing.T) {
		s := newIssuerServer(t, k1.Public())
		s.set(func(s *issuerServer) { s.cacheControl = "max-age=120" })
		ft := newFakeTimer()
		r := remoteVerifier(t, s, newClock(), ft)
		old := issuerToken(t, s, k1, "j1")
		mustVerify(t, r, old)
		s.set(func(s *issuerServer) { s.keys = keySet(t, k2.Public()) })
		if got := <-ft.delays; got != 120*time.Second {
			t.Fatalf("first refresh delay = %v", got)
		}
		if err := ft.tick(); err != nil {
			t.Fatalf("refresh: %v", err)
		}
		// The clock has not moved, so an unknown-kid refetch would be
		// rate-limited: only the background refresh can have brought k2.
		mustVerify(t, r, issuerToken(t, s, k2, "j2"))
		if _, err := r.Verify(ctx, old); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("token of the removed key: Verify = %v; want ErrUnknownKey", err)
		}
		if n := s.fetches(); n != 2 {
			t.Fatalf("JWKS fetched %d times; want 2", n)
		}
	})
	t.Run("an unknown kid refetches at most once per interval", func(t *testing.T) {
		s := newIssuerServer(t, k1.Public())
		clk := newClock()
		r := remoteVerifier(t, s, clk, newFakeTimer(), WithRefetchInterval(30*time.Second))
		s.set(func(s *issuerServer) { s.keys = keySet(t, k1.Public(), k2.Public()) })
		tok2 := issuerToken(t, s, k2, "j2")

		if _, err := r.Verify(ctx, tok2); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("within the interval of the first fetch: Verify = %v; want ErrUnknownKey", err)
		}
		if n := s.fetches(); n != 1 {
			t.Fatalf("JWKS fetched %d times; want 1 (rate-limited)", n)
		}
		clk.Advance(30 * time.Second)
		mustVerify(t, r, tok2)
		if n := s.fetches(); n != 2 {
			t.Fatalf("JWKS fetched %d times; want 2", n)
		}
		tok3 := issuerToken(t, s, k3, "j3")
		for range 5 {
			if _, err := r.Verify(ctx, tok3); !errors.Is(err, token.ErrUnknownKey) {
				t.Fatalf("unknown key: Verify = %v; want ErrUnknownKey", err)
			}
		}
		if n := s.fetches(); n != 2 {
			t.Fatalf("JWKS fetched %d times for an unknown kid within the interval; want 2", n)
		}
		clk.Advance(30 * time.Second)
		r.Verify(ctx, tok3)
		if n := s.fetches(); n != 3 {
			t.Fatalf("JWKS fetched %d times; want 3", n)
		}
	})
	t.Run("concurrent unknown kids cause one fetch", func(t *testing.T) {
		s := newIssuerServer(t, k1.Public())
		clk := newClock()
		r := remoteVerifier(t, s, clk, newFakeTimer())
		tok3 := issuerToken(t, s, k3, "j3")
		clk.Advance(time.Hour)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() { r.Verify(ctx, tok3) })
		}
		wg.Wait()
		if n := s.fetches(); n != 2 {
			t.Fatalf("JWKS fetched %d times; want 2", n)
		}
	})
	t.Run("an issuer that is down leaves the last good keys serving", func(t *testing.T) {
		s := newIssuerServer(t, k1.Public())
		clk := newClock()
		ft := newFakeTimer()
		r := remoteVerifier(t, s, clk, ft)
		tok1 := issuerToken(t, s, k1, "j1")
		<-ft.delays
		s.set(func(s *issuerServer) { s.down = true })
		if err := ft.tick(); err == nil {
			t.Fatal("a refresh from a down issuer reported no error")
		}
		if got := <-ft.delays; got != DefaultRefetchInterval {
			t.Fatalf("retry delay after a failed refresh = %v; want %v", got, DefaultRefetchInterval)
		}
		clk.Advance(DefaultRefetchInterval)
		if _, err := r.Verify(ctx, issuerToken(t, s, k2, "j2")); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("unknown kid with the issuer down: Verify = %v; want ErrUnknownKey", err)
		}
		mustVerify(t, r, tok1)
		if len(r.Keys().Keys()) != 1 {
			t.Fatal("the key set changed while the issuer was down")
		}
	})
	t.Run("Close stops the background refresh and is idempotent", func(t *testing.T) {
		s := newIssuerServer(t, k1.Public())
		r := remoteVerifier(t, s, newClock(), newFakeTimer())
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-r.done:
		default:
			t.Fatal("the refresh loop still runs after Close")
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, r, issuerToken(t, s, k1, "j1"))
	})
}
