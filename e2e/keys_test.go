package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/token"
)

// The signing keys' lifecycle, end to end (docs/keys.md): two replicas
// rotating every few seconds and switching algorithm, four verifiers
// verifying without pause, then an emergency revocation.

// keysIssuer is the issuer both replicas are configured with; verifiers
// reach it through a client that dials replica A.
const keysIssuer = "http://gatehouse.test"

// cachedJWKS is the strictest verifier a resource server may be: it fetches
// the JWKS when the cached copy's max-age has run out, and never because a
// token names a kid it does not have. It verifies a token only if the key
// was published a cache lifetime before it signed. It fetches from each
// base in turn, as from behind a load balancer.
type cachedJWKS struct {
	t      *testing.T
	client *http.Client
	bases  []string
	next   int
	v      *token.Verifier
	until  time.Time
}

var maxAgeRE = regexp.MustCompile(`max-age=(\d+)`)

func newCachedJWKS(t *testing.T, client *http.Client, bases ...string) *cachedJWKS {
	t.Helper()
	empty, _ := token.NewKeySet()
	v, err := token.NewVerifier(empty, token.Options{Issuer: keysIssuer, Audience: keysIssuer})
	if err != nil {
		t.Fatal(err)
	}
	return &cachedJWKS{t: t, client: client, bases: bases, v: v}
}

func (c *cachedJWKS) verify(tok string) error {
	if time.Now().After(c.until) {
		base := c.bases[c.next%len(c.bases)]
		c.next++
		resp, err := c.client.Get(base + "/.well-known/jwks.json")
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		m := maxAgeRE.FindStringSubmatch(resp.Header.Get("Cache-Control"))
		if resp.StatusCode != http.StatusOK || m == nil {
			return fmt.Errorf("JWKS: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		set, err := token.ParseJWKS(b)
		if err != nil {
			return err
		}
		age, _ := strconv.Atoi(m[1])
		c.v.SetKeys(set)
		c.until = time.Now().Add(time.Duration(age) * time.Second)
	}
	_, err := c.v.Verify(tok)
	return err
}

// pyVerifier is e2e/testdata/interop/pyjwt_stream.py: PyJWT's PyJWKClient
// as documented ("lib") and one that never refetches ("strict").
type pyVerifier struct {
	in  io.WriteCloser
	out *bufio.Scanner
}

func startPyVerifier(t *testing.T, jwksURL string, lifespan int) *pyVerifier {
	t.Helper()
	cmd := exec.Command(systemPython, filepath.Join("testdata", "interop", "pyjwt_stream.py"), jwksURL, keysIssuer, keysIssuer, strconv.Itoa(lifespan))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) { stderr.WriteLine(string(b)); return len(b), nil })
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		cmd.Wait()
		if t.Failed() {
			t.Logf("pyjwt_stream.py stderr:\n%s", stderr.String())
		}
	})
	return &pyVerifier{in: in, out: bufio.NewScanner(out)}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// verify returns the answers of both PyJWT verifiers ("ok" or an error).
func (p *pyVerifier) verify(t *testing.T, tok string) (lib, strict string) {
	t.Helper()
	if _, err := io.WriteString(p.in, tok+"\n"); err != nil {
		t.Fatal(err)
	}
	if !p.out.Scan() {
		t.Fatalf("pyjwt_stream.py stopped: %v", p.out.Err())
	}
	var r struct{ Lib, Strict string }
	if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
		t.Fatalf("pyjwt_stream.py said %q: %v", p.out.Text(), err)
	}
	return r.Lib, r.Strict
}

// issuedToken is an access token and what it was signed with.
type issuedToken struct {
	access   string
	kid, alg string
	by       string // the replica
}

// dialing returns a client whose every connection goes to addr, whatever
// the URL's host: the replicas' issuer is a name verifiers resolve to A.
func dialing(addr string) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

// TestRotationNeverFailsAVerification: while two replicas rotate the keys
// as often as they may (a JWKS cache lifetime of 2 s: a rotation every 4 s)
// and switch from ES256 to EdDSA once, every token is verified at once and
// again at the end by guard's remote verifier (JWKS cached as
// Cache-Control says), PyJWT's PyJWKClient, a PyJWKClient that never
// refetches, and a Go verifier that never refetches: zero failures. Then
// the active key is revoked: Gatehouse refuses its tokens at once on both
// replicas, it leaves the JWKS, and verifiers that refetch drop it.
func TestRotationNeverFailsAVerification(t *testing.T) {
	needPython(t, "jwt", "cryptography")
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	flags := []string{"--issuer", keysIssuer, "--key-rotation", "1s", "--jwks-max-age", "2s"}
	a := startGatehouse(t, db, "127.0.0.1:0", append(flags, "--access-ttl", "5m")...)
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	clientOut := gatehouse(t, db, "", "client", "add", "orders-api")

	ctx := context.Background()
	toA := dialing(a.addr)
	gv, err := guard.NewRemoteVerifier(ctx, keysIssuer, guard.WithAudience(keysIssuer), guard.WithHTTPClient(toA),
		guard.WithInsecureHTTP(), guard.WithRefetchInterval(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer gv.Close()
	strict := newCachedJWKS(t, toA, keysIssuer)
	py := startPyVerifier(t, a.url()+"/.well-known/jwks.json", 2)
	// A guard that also follows the revocation feed, as the client
	// registered above: a revoked key reaches it through the feed's "kid"
	// entry, not through a JWKS refetch.
	feedID, feedSecret := clientCredentials(t, clientOut)
	gvFeed, err := guard.NewRemoteVerifier(ctx, keysIssuer, guard.WithAudience(keysIssuer), guard.WithHTTPClient(toA),
		guard.WithInsecureHTTP(), guard.WithRefetchInterval(time.Second), guard.WithRevocationFeed(feedID, feedSecret))
	if err != nil {
		t.Fatal(err)
	}
	defer gvFeed.Close()

	var (
		issued   []issuedToken
		checks   int
		failures []string
	)
	check := func(it issuedToken, when string) {
		t.Helper()
		if _, err := gv.Verify(ctx, it.access); err != nil {
			failures = append(failures, fmt.Sprintf("%s: guard refused a %s token of %s from %s: %v", when, it.alg, it.kid, it.by, err))
		}
		if err := strict.verify(it.access); err != nil {
			failures = append(failures, fmt.Sprintf("%s: the cached-JWKS verifier refused a %s token of %s from %s: %v", when, it.alg, it.kid, it.by, err))
		}
		lib, st := py.verify(t, it.access)
		if lib != "ok" {
			failures = append(failures, fmt.Sprintf("%s: PyJWKClient refused a %s token of %s from %s: %s", when, it.alg, it.kid, it.by, lib))
		}
		if st != "ok" {
			failures = append(failures, fmt.Sprintf("%s: the strict PyJWKClient refused a %s token of %s from %s: %s", when, it.alg, it.kid, it.by, st))
		}
		checks += 4
	}
	session := login(t, a.url(), "alice", alicePassword)
	mint := func(name, base string) issuedToken {
		t.Helper()
		session = wantTokens(t, refresh(t, base, session.refresh))
		h := jwtPart(t, session.access, 0)
		it := issuedToken{access: session.access, kid: h["kid"].(string), alg: h["alg"].(string), by: name}
		issued = append(issued, it)
		check(it, "at once")
		return it
	}
	keysOf := func(alg string) []string {
		var out []string
		for _, it := range issued {
			if it.alg == alg && !slices.Contains(out, it.kid) {
				out = append(out, it.kid)
			}
		}
		return out
	}
	deadline := time.Now().Add(3 * time.Minute)
	// ES256, on A alone, until four keys have signed (three rotations).
	for len(keysOf("ES256")) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d ES256 keys signed in 3 minutes", len(keysOf("ES256")))
		}
		mint("A", a.url())
		time.Sleep(150 * time.Millisecond)
	}

	// Replica B starts with --alg EdDSA (and another access-token
	// lifetime): the next key is replaced by an EdDSA key, which signs a
	// JWKS cache lifetime later, on both replicas.
	b := startGatehouse(t, db, "127.0.0.1:0", append(flags, "--access-ttl", "3m", "--alg", "EdDSA")...)
	if !strings.Contains(b.logs.String(), "signing algorithm migration") {
		t.Errorf("replica B does not log the algorithm migration:\n%s", b.logs.String())
	}
	strict.bases = append(strict.bases, b.url())
	for i := 0; len(keysOf("EdDSA")) < 2 || i < 10; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d EdDSA keys signed in 3 minutes", len(keysOf("EdDSA")))
		}
		mint("A", a.url())
		mint("B", b.url())
		time.Sleep(150 * time.Millisecond)
	}
	// Tokens of every key, retired long since, still verify everywhere.
	for _, it := range issued {
		check(it, "at the end")
	}
	t.Logf("%d tokens, %d verifications, keys: ES256 %d, EdDSA %d", len(issued), checks, len(keysOf("ES256")), len(keysOf("EdDSA")))
	if len(failures) > 0 {
		t.Fatalf("%d of %d verifications of valid tokens failed:\n%s", len(failures), checks, strings.Join(failures, "\n"))
	}
	if last := issued[len(issued)-1]; last.alg != "EdDSA" {
		t.Fatalf("the last token is %s, want EdDSA", last.alg)
	}

	t.Run("a revoked key is refused at once by Gatehouse and dropped by verifiers", func(t *testing.T) {
		victim := mint("A", a.url())
		if _, err := gvFeed.Verify(ctx, victim.access); err != nil {
			t.Fatalf("the feed-following guard before the revocation: %v", err)
		}
		out := gatehouse(t, db, "", "keys", "revoke", victim.kid)
		revoked := time.Now()
		if !strings.Contains(out, "revoked") {
			t.Fatalf("keys revoke: %s", out)
		}
		// The guard that follows the feed refuses it within a second, as a
		// revocation (the feed's "kid" entry), not as an unknown key.
		waitFor(t, time.Second, "the feed-following guard refuses the revoked key's token", func() bool {
			_, err := gvFeed.Verify(ctx, victim.access)
			return errors.Is(err, guard.ErrRevoked)
		})
		t.Logf("the feed-following guard refused the revoked key's token %v after the revocation", time.Since(revoked).Round(time.Millisecond))
		// Both replicas refuse its tokens at once (before they reload).
		wantInvalidToken(t, userinfo(t, a.url(), victim.access))
		wantInvalidToken(t, userinfo(t, b.url(), victim.access))
		// It leaves the JWKS of both within a reload (a second).
		waitFor(t, 5*time.Second, "the revoked key leaves the JWKS of both replicas", func() bool {
			return !slices.Contains(kids(t, a.url()), victim.kid) && !slices.Contains(kids(t, b.url()), victim.kid)
		})
		// Verifiers that fetch the JWKS again drop it: guard when its cached
		// copy expires (and the token it had verified and cached with it).
		waitFor(t, 10*time.Second, "guard refuses the revoked key's token", func() bool {
			_, err := gv.Verify(ctx, victim.access)
			return err != nil
		})
		waitFor(t, 10*time.Second, "the cached-JWKS verifier refuses it", func() bool { return strict.verify(victim.access) != nil })
		waitFor(t, 10*time.Second, "the strict PyJWKClient refuses it", func() bool {
			_, st := py.verify(t, victim.access)
			return st != "ok"
		})
		// A fresh key took over: new tokens verify everywhere.
		failures = nil
		fresh := mint("B", b.url())
		if fresh.kid == victim.kid || len(failures) > 0 {
			t.Fatalf("after the revocation: token of %s, failures %v", fresh.kid, failures)
		}
		if r := userinfo(t, a.url(), fresh.access); r.status != http.StatusOK {
			t.Fatalf("a token of the key that took over: %d %s", r.status, r.body)
		}
		// The feed tells resource servers, until every token of the key and
		// every JWKS cached with it has expired.
		req, _ := http.NewRequest("GET", a.url()+"/revocations", nil)
		req.SetBasicAuth(feedID, feedSecret)
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var feed struct {
			Revocations []struct {
				Kind, Value string
				ForgetAt    int64 `json:"forget_at"`
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&feed); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /revocations: %d %v", resp.StatusCode, err)
		}
		exp := int64(jwtPart(t, victim.access, 1)["exp"].(float64))
		found := false
		for _, e := range feed.Revocations {
			if e.Kind == "kid" && e.Value == victim.kid {
				found = true
				if e.ForgetAt < exp+61 {
					t.Errorf("kid entry forgettable at %d, before the revoked token's exp %d plus the leeway", e.ForgetAt, exp)
				}
			}
		}
		if !found {
			t.Fatalf("no kid entry for %s in the feed: %+v", victim.kid, feed)
		}
	})
}

// waitFor polls cond every 100 ms until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTheKeyPolicyIsStoredAndGivenFlagsChangeIt: --alg on a new database
// makes its first keys of that algorithm; a restart without it keeps the
// stored one (restarting with another --alg used to be ignored silently; a
// default must not undo a choice); the JWKS cache lifetime is the stored
// one.
func TestTheKeyPolicyIsStoredAndGivenFlagsChangeIt(t *testing.T) {
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	gh := startGatehouse(t, db, "127.0.0.1:0", "--alg", "EdDSA", "--jwks-max-age", "7s")
	algs := func(base string) []string {
		r := call(t, "GET", base, "/.well-known/jwks.json", nil, "")
		if cc := r.header.Get("Cache-Control"); cc != "public, max-age=7" {
			t.Errorf("Cache-Control %q, want the stored max-age=7", cc)
		}
		var doc struct{ Keys []struct{ Alg string } }
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range doc.Keys {
			out = append(out, k.Alg)
		}
		return out
	}
	if got := algs(gh.url()); len(got) != 2 || got[0] != "EdDSA" || got[1] != "EdDSA" {
		t.Fatalf("keys of a new database started with --alg EdDSA: %v, want two EdDSA keys", got)
	}
	gh.stop()
	again := startGatehouse(t, db, "127.0.0.1:0")
	if got := algs(again.url()); len(got) != 2 || got[0] != "EdDSA" || got[1] != "EdDSA" {
		t.Fatalf("after a restart without --alg: %v, want the stored EdDSA kept", got)
	}
	if strings.Contains(again.logs.String(), "key policy changed") {
		t.Errorf("a restart without flags changed the key policy:\n%s", again.logs.String())
	}
	if out := gatehouse(t, db, "", "keys", "list"); !strings.Contains(out, "algorithm EdDSA") || !strings.Contains(out, "JWKS cache lifetime 7s") {
		t.Errorf("keys list:\n%s", out)
	}
}
