package abuse_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	alicePW  = "correct horse battery staple"
	rsID     = "orders-api"
	rsSecret = "orders-api secret that is long enough"
)

// bearerEndpoints are the routes every corpus token is sent to. /logout is
// the one that would change state if a token got through.
var bearerEndpoints = []struct{ method, path string }{
	{"GET", "/userinfo"},
	{"POST", "/logout"},
	{"GET", "/admin/users"},
	{"GET", "/sessions"},
}

// TestAttackCorpus sends every hostile token of the corpus as a Bearer
// token to the server's authenticated endpoints and to /introspect. Each
// must be refused (401 invalid_token; {"active":false}) without any change
// of state; afterwards the victim's session still works and refreshes.
func TestAttackCorpus(t *testing.T) {
	s := newServer(t, cheapHashing)
	alice := s.addUser("alice", alicePW, "orders:read", "orders:write")
	other := s.addUser("mallory", "mallory's password", "gatehouse:admin")
	s.addClient(rsID, rsSecret)
	att := newAttacker(t)

	victim := s.login(t, "alice", alicePW)
	revokedByJTI := s.login(t, "alice", alicePW).AccessToken
	if r := s.postForm(t, "/revoke", form("token", revokedByJTI), nil); r.status != http.StatusOK {
		t.Fatalf("revoke: %s", r)
	}
	loggedOut := s.login(t, "alice", alicePW).AccessToken
	if r := s.bearer(t, "POST", "/logout", loggedOut); r.status != http.StatusNoContent {
		t.Fatalf("logout: %s", r)
	}

	f := loadForge(t, s, alice.ID, claimOf(t, victim.AccessToken, "sid"))
	e := &corpusEnv{
		f: f, pub: fetchPublicKey(t, s, f.kid), att: att,
		access: victim.AccessToken, refresh: victim.RefreshToken,
		jtiRevoked: revokedByJTI, sidRevoked: loggedOut, otherUser: other.ID,
	}
	refused := refusedRows(t, e)
	accepted := acceptedRows(e)

	// The forged tokens are only meaningful if a token forged the same way,
	// without a fault, is accepted.
	if r := s.bearer(t, "GET", "/userinfo", f.good()); r.status != http.StatusOK {
		t.Fatalf("a correctly forged token is refused: %s", r)
	}
	// Even signed with the real key, a token that claims the admin scope
	// for a user who does not have it is refused: the admin API judges by
	// the user's current scopes, not the token's.
	if r := s.bearer(t, "GET", "/admin/users", f.claimsWith("scope", q("gatehouse:admin"))); r.status != http.StatusForbidden {
		t.Fatalf("a correctly signed admin-scope token of a user without the scope: %s, want 403", r)
	}

	before := s.state(t)
	groups := map[string]int{}
	for _, a := range refused {
		groups[a.group]++
		t.Run(a.group+"/"+a.name, func(t *testing.T) {
			for _, ep := range bearerEndpoints {
				r := s.do(t, ep.method, ep.path, "", nil, http.Header{"Authorization": {a.auth}})
				wantInvalidToken(t, ep.method+" "+ep.path, r)
			}
			if a.token != "" {
				introspectInactive(t, s, a.token)
			}
			s.unchanged(t, before)
		})
	}
	for _, a := range accepted {
		groups[a.group]++
		t.Run(a.group+"/"+a.name, func(t *testing.T) {
			r := s.do(t, "GET", "/userinfo", "", nil, http.Header{"Authorization": {a.auth}})
			if r.status != http.StatusOK || !strings.Contains(string(r.body), `"sub":"`+alice.ID+`"`) {
				t.Errorf("GET /userinfo: %s, want 200 for alice", r)
			}
			r = s.do(t, "GET", "/admin/users", "", nil, http.Header{"Authorization": {a.auth}})
			if r.status != http.StatusForbidden || r.oauthError() != "insufficient_scope" ||
				!strings.Contains(r.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
				t.Errorf("GET /admin/users: %s %q, want 403 insufficient_scope", r, r.header.Get("WWW-Authenticate"))
			}
			if a.token != "" {
				r := introspect(t, s, a.token)
				var got struct {
					Active bool
					Sub    string
				}
				if err := json.Unmarshal(r.body, &got); r.status != http.StatusOK || err != nil || !got.Active || got.Sub != alice.ID {
					t.Errorf("POST /introspect: %s, want active for alice", r)
				}
			}
			s.unchanged(t, before)
		})
	}
	t.Logf("corpus rows per group: %v (%d refused, %d accepted)", groups, len(refused), len(accepted))

	// The header limit of net/http is the cap beyond a megabyte.
	t.Run("size/two megabytes of dots", func(t *testing.T) {
		status := rawStatus(t, s.url, "GET /userinfo HTTP/1.1\r\nHost: gatehouse\r\nAuthorization: Bearer "+strings.Repeat(".", 2<<20)+"\r\n\r\n")
		if status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431 from the header limit", status)
		}
		s.unchanged(t, before)
	})

	if n := att.hits.Load(); n != 0 {
		t.Errorf("the server fetched the attacker's URLs %d times", n)
	}
	// The victim's session was never touched: its access token works and
	// its refresh token rotates.
	if r := s.bearer(t, "GET", "/userinfo", victim.AccessToken); r.status != http.StatusOK {
		t.Fatalf("the victim's access token after the corpus: %s", r)
	}
	next := s.refresh(t, victim.RefreshToken)
	if s.subject(t, next.AccessToken) != alice.ID {
		t.Fatal("the refreshed token is not alice's")
	}
}

// acceptedRows are tokens the server must accept, as alice without the
// admin scope: the variants the contract allows, and scope look-alikes
// that must not open the admin API. They are never sent to /logout.
func acceptedRows(e *corpusEnv) []attack {
	f := e.f
	var rows []attack
	add := func(group, name, tok string) { rows = append(rows, bearerRow(group, name, tok)) }
	add("accepted", "the victim's own access token", e.access)
	add("accepted", "a token forged exactly as the server signs", f.good())
	add("accepted", "JSON with trailing whitespace (the base of the padding and trailing-bit rows)", spacedToken(f))
	for _, typ := range []string{"AT+JWT", "At+Jwt", "application/at+jwt", "APPLICATION/AT+JWT"} {
		add("accepted", "typ "+typ+" (RFC 9068 media types are case-insensitive)", f.headerWith("typ", q(typ)))
	}
	add("accepted", "aud an array holding ours", f.claimsWith("aud", `["https://orders.example",`+q(issuer)+`]`))
	add("accepted", "exp a float in the future", f.claimsWith("exp", num(f.now.Unix()+600)+".5"))
	add("accepted", "nbf in the past", f.claimsWith("nbf", num(f.now.Unix()-60)))
	good := f.good()
	rows = append(rows,
		attack{group: "accepted", name: "two spaces after Bearer (RFC 7235: 1*SP)", auth: "Bearer  " + good, token: good},
		attack{group: "accepted", name: "the scheme in lower case", auth: "bearer " + good, token: good},
	)

	// Scopes that look like the admin scope but are other scope tokens:
	// valid tokens, refused by the admin API with insufficient_scope.
	for _, sc := range []string{
		"Gatehouse:admin", "gatehouse:Admin", "GATEHOUSE:ADMIN", "gatehouse:admin:x", "gatehouse:admin_",
		"xgatehouse:admin", "gatehouse", "admin", "gatehouse:admi", "gatehouse%3Aadmin", "gatehouse:admin*",
		"orders:read gatehouse:adminx", "", "*",
	} {
		add("scope look-alike", "scope "+q(sc), f.claimsWith("scope", q(sc)))
	}
	add("scope look-alike", "Scope (capital S) gatehouse:admin and no scope", f.token(f.header(), f.claims().without("scope").plus("Scope", q("gatehouse:admin"))))
	add("scope look-alike", "scp [gatehouse:admin] and no scope", f.token(f.header(), f.claims().without("scope").plus("scp", `["gatehouse:admin"]`)))
	add("scope look-alike", "roles [gatehouse:admin]", f.claimsWith("roles", `["gatehouse:admin"]`))
	add("scope look-alike", "scope missing", f.claimsWithout("scope"))
	return rows
}

// wantInvalidToken asserts the RFC 6750 answer to a token that fails.
func wantInvalidToken(t *testing.T, where string, r *response) {
	t.Helper()
	ch := r.header.Get("WWW-Authenticate")
	if r.status != http.StatusUnauthorized || r.oauthError() != "invalid_token" ||
		!strings.HasPrefix(ch, "Bearer ") || !strings.Contains(ch, `error="invalid_token"`) {
		t.Errorf("%s: %s, WWW-Authenticate %q; want 401 invalid_token", where, r, ch)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", where, r.header.Get("Cache-Control"))
	}
}

func introspect(t *testing.T, s *server, tok string) *response {
	t.Helper()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(rsID)+":"+url.QueryEscape(rsSecret)))
	return s.postForm(t, "/introspect", form("token", tok), http.Header{"Authorization": {auth}})
}

// introspectInactive asserts that /introspect calls tok inactive, or, for
// a token too big for a request body, refuses the body with 413.
func introspectInactive(t *testing.T, s *server, tok string) {
	t.Helper()
	r := introspect(t, s, tok)
	if len(form("token", tok).Encode()) > 64<<10 {
		if r.status != http.StatusRequestEntityTooLarge || r.oauthError() != "invalid_request" {
			t.Errorf("POST /introspect of %d bytes: %s, want 413 invalid_request", len(tok), r)
		}
		return
	}
	if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != `{"active":false}` {
		t.Errorf("POST /introspect: %s, want 200 {\"active\":false}", r)
	}
}

// claimOf reads one string claim of a token without verifying it.
func claimOf(t *testing.T, tok, name string) string {
	t.Helper()
	p, err := base64.RawURLEncoding.DecodeString(segment(tok, 1))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(p, &c); err != nil {
		t.Fatal(err)
	}
	v, _ := c[name].(string)
	if v == "" {
		t.Fatalf("token has no %s", name)
	}
	return v
}

// rawStatus writes a raw HTTP request (too big for a well-behaved client)
// and returns the status of the answer. It reads while it writes, since
// the server may answer and close before the request is complete.
func rawStatus(t *testing.T, base, request string) int {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go c.Write([]byte(request)) // fails once the server closes; the answer is what counts
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
