package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
)

const alicePW = "correct horse battery"

// tokenFixture has alice, a public client "mobile", a confidential client
// "api" (secret "s3cret-s3cret") and one session of alice's to prove that no bad
// request changes anything.
func tokenFixture(t *testing.T) (*fixture, *gatehouse.User, tokens) {
	f := newFixture(t)
	u := f.addUser("alice", alicePW, "orders:read", "orders:write")
	f.addClient("mobile", "")
	f.addClient("api", "s3cret-s3cret")
	return f, u, f.login("alice", alicePW)
}

func TestTokenErrorAnswers(t *testing.T) {
	f, alice, live := tokenFixture(t)
	pw := func(extra ...string) string {
		return form(append([]string{"grant_type", "password", "username", "alice", "password", alicePW}, extra...)...)
	}
	const formCT = "application/x-www-form-urlencoded"
	cases := []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"no grant_type", req{body: form("username", "alice", "password", alicePW)}, 400, "invalid_request"},
		{"empty body", req{contentType: formCT}, 400, "invalid_request"},
		{"unknown grant_type", req{body: form("grant_type", "authorization_code", "code", "x")}, 400, "unsupported_grant_type"},
		{"client_credentials of the first-party public client", req{body: form("grant_type", "client_credentials")}, 401, "invalid_client"},
		{"grant_type in another case", req{body: form("grant_type", "Password", "username", "alice", "password", alicePW)}, 400, "unsupported_grant_type"},
		{"repeated grant_type", req{body: "grant_type=password&grant_type=password&username=alice&password=" + strings.ReplaceAll(alicePW, " ", "+")}, 400, "invalid_request"},
		{"repeated password, once empty", req{body: pw() + "&password="}, 400, "invalid_request"},
		{"repeated username", req{body: pw() + "&username=bob"}, 400, "invalid_request"},
		{"parameters in the query string", req{target: "/token?grant_type=password", body: form("username", "alice", "password", alicePW)}, 400, "invalid_request"},
		{"credentials in the query string only", req{target: "/token?" + pw(), contentType: formCT}, 400, "invalid_request"},
		{"a bare question mark", req{target: "/token?", body: pw()}, 400, "invalid_request"},
		{"text/plain body", req{body: pw(), contentType: "text/plain"}, 400, "invalid_request"},
		{"multipart body", req{body: "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n--x--\r\n", contentType: "multipart/form-data; boundary=x"}, 400, "invalid_request"},
		{"form with a latin-1 charset", req{body: pw(), contentType: formCT + "; charset=iso-8859-1"}, 400, "invalid_request"},
		{"malformed content type", req{body: pw(), contentType: "application/x-www-form-urlencoded; ="}, 400, "invalid_request"},
		{"JSON sent as form", req{body: `{"grant_type":"password","username":"alice","password":"x"}`, contentType: formCT}, 400, "invalid_request"},
		{"form sent as JSON", req{body: pw(), contentType: "application/json"}, 400, "invalid_request"},
		{"JSON with a number value", req{body: `{"grant_type":"password","username":"alice","password":12345678}`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON with an array value", req{body: `{"grant_type":"password","username":["alice"],"password":"x"}`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON with a null value", req{body: `{"grant_type":"password","username":null,"password":"x"}`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON with a nested object", req{body: `{"grant_type":"password","username":{"$ne":""},"password":"x"}`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON with a repeated member", req{body: `{"grant_type":"password","username":"bob","username":"alice","password":"` + alicePW + `"}`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON with trailing data", req{body: `{"grant_type":"password","username":"alice","password":"` + alicePW + `"} {}`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON array", req{body: `[{"grant_type":"password"}]`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON truncated", req{body: `{"grant_type":"password",`, contentType: "application/json"}, 400, "invalid_request"},
		{"JSON with invalid UTF-8", req{body: "{\"grant_type\":\"password\",\"username\":\"al\xffice\",\"password\":\"x\"}", contentType: "application/json"}, 400, "invalid_request"},
		{"form with invalid UTF-8", req{body: pw() + "&scope=%FF"}, 400, "invalid_request"},
		{"form with a bad escape", req{body: "grant_type=password&username=%zz&password=x"}, 400, "invalid_request"},
		{"form with semicolons", req{body: "grant_type=password;username=alice;password=x"}, 400, "invalid_request"},
		{"body over 64 KiB", req{body: pw() + "&pad=" + strings.Repeat("a", 64<<10)}, 413, "invalid_request"},
		{"password over 1024 bytes", req{body: form("grant_type", "password", "username", "alice", "password", strings.Repeat("p", 1025))}, 400, "invalid_request"},
		{"missing username", req{body: form("grant_type", "password", "password", alicePW)}, 400, "invalid_request"},
		{"missing password", req{body: form("grant_type", "password", "username", "alice")}, 400, "invalid_request"},
		{"wrong password", req{body: form("grant_type", "password", "username", "alice", "password", "wrong password")}, 400, "invalid_grant"},
		{"unknown user", req{body: form("grant_type", "password", "username", "mallory", "password", alicePW)}, 400, "invalid_grant"},
		{"username with a zero-width space", req{body: form("grant_type", "password", "username", "ali\u200bce", "password", alicePW)}, 400, "invalid_grant"},
		{"username with a trailing space", req{body: form("grant_type", "password", "username", "alice ", "password", alicePW)}, 400, "invalid_grant"},
		{"scope with a doubled space", req{body: pw("scope", "orders:read  orders:write")}, 400, "invalid_scope"},
		{"scope with a quote", req{body: pw("scope", `orders:read"`)}, 400, "invalid_scope"},
		{"scope the user does not have", req{body: pw("scope", "orders:read admin")}, 400, "invalid_scope"},
		{"scope in another case", req{body: pw("scope", "ORDERS:READ")}, 400, "invalid_scope"},
		{"unknown client_id", req{body: pw("client_id", "nobody")}, 401, "invalid_client"},
		{"unknown client in Basic", req{body: pw(), header: basic("nobody", "")}, 401, "invalid_client"},
		{"confidential client without its secret", req{body: pw("client_id", "api")}, 401, "invalid_client"},
		{"confidential client with a wrong secret", req{body: pw(), header: basic("api", "guess")}, 401, "invalid_client"},
		{"confidential client with a wrong secret in the body", req{body: pw("client_id", "api", "client_secret", "guess")}, 401, "invalid_client"},
		{"public client presenting a secret", req{body: pw(), header: basic("mobile", "anything")}, 401, "invalid_client"},
		{"secret without a client_id", req{body: pw("client_secret", "s3cret-s3cret")}, 401, "invalid_client"},
		{"Basic and a secret in the body", req{body: pw("client_secret", "s3cret-s3cret"), header: basic("api", "s3cret-s3cret")}, 400, "invalid_request"},
		{"Basic and another client_id in the body", req{body: pw("client_id", "mobile"), header: basic("api", "s3cret-s3cret")}, 400, "invalid_request"},
		{"malformed Basic", req{body: pw(), header: http.Header{"Authorization": {"Basic !!!"}}}, 401, "invalid_client"},
		{"Basic without a colon", req{body: pw(), header: http.Header{"Authorization": {"Basic YXBp"}}}, 401, "invalid_client"},
		{"Basic with an empty id and a secret", req{body: pw(), header: basic("", "s3cret-s3cret")}, 401, "invalid_client"},
		{"Basic with an empty id and a client_id in the body", req{body: pw("client_id", "mobile"), header: basic("", "")}, 400, "invalid_request"},
		{"Bearer on the token endpoint", req{body: pw(), header: http.Header{"Authorization": {"Bearer " + live.AccessToken}}}, 401, "invalid_client"},
		{"two Authorization headers", req{body: pw(), header: http.Header{"Authorization": {basic("api", "s3cret-s3cret").Get("Authorization"), basic("api", "s3cret-s3cret").Get("Authorization")}}}, 400, "invalid_request"},
		{"refresh without refresh_token", req{body: form("grant_type", "refresh_token")}, 400, "invalid_request"},
		{"unknown refresh token", req{body: form("grant_type", "refresh_token", "refresh_token", "ghr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}, 400, "invalid_grant"},
		{"refresh token of another client", req{body: form("grant_type", "refresh_token", "refresh_token", live.RefreshToken, "client_id", "mobile")}, 400, "invalid_grant"},
		{"refresh widening the scope", req{body: form("grant_type", "refresh_token", "refresh_token", live.RefreshToken, "scope", "orders:read admin")}, 400, "invalid_scope"},
		{"refresh with a malformed scope", req{body: form("grant_type", "refresh_token", "refresh_token", live.RefreshToken, "scope", " orders:read")}, 400, "invalid_scope"},
		{"access token as refresh token", req{body: form("grant_type", "refresh_token", "refresh_token", live.AccessToken)}, 400, "invalid_grant"},
		{"huge refresh token", req{body: form("grant_type", "refresh_token", "refresh_token", strings.Repeat("A", 10000))}, 400, "invalid_grant"},
		{"refresh token with a character appended", req{body: form("grant_type", "refresh_token", "refresh_token", live.RefreshToken+"A")}, 400, "invalid_grant"},
	}
	users := f.userCount()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.method = "POST"
			if tc.r.target == "" {
				tc.r.target = "/token"
			}
			tc.r.remote = fmt.Sprintf("192.0.2.%d:1234", i+1)
			w := f.do(tc.r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if got := oauthErr(t, w); got != tc.code {
				t.Errorf("error %q, want %q", got, tc.code)
			}
			checkNoStore(t, w)
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			wantChallenge := ""
			if tc.status == 401 {
				wantChallenge = `Basic realm="gatehouse"`
			}
			if got := w.Header().Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, wantChallenge)
			}
			if strings.Contains(w.Body.String(), alicePW) {
				t.Error("the answer echoes the password")
			}
		})
	}
	if n := f.userCount(); n != users {
		t.Errorf("user count %d → %d", users, n)
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Errorf("alice has %d sessions, want the one she started", n)
	}
	f.clock.Advance(time.Minute)
	if w := f.refresh(live.RefreshToken); w.Code != http.StatusOK {
		t.Errorf("the live refresh token no longer refreshes: %d %s", w.Code, w.Body)
	}
}

func TestPasswordLoginAsOAuth2PasswordRequestFormSendsIt(t *testing.T) {
	f, alice, _ := tokenFixture(t)
	// FastAPI's OAuth2PasswordRequestForm sends an empty scope and no client.
	w := f.postForm("/token", "grant_type=password&username=alice&password="+strings.ReplaceAll(alicePW, " ", "+")+"&scope=")
	if w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	checkNoStore(t, w)
	var body map[string]any
	decode(t, w, &body)
	for _, k := range []string{"access_token", "token_type", "expires_in", "refresh_token", "scope"} {
		if _, ok := body[k]; !ok {
			t.Errorf("no %q in %v", k, body)
		}
	}
	if len(body) != 5 {
		t.Errorf("members %v, want exactly the five of RFC 6749 §5.1", body)
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(900) || body["scope"] != "orders:read orders:write" {
		t.Errorf("body %v", body)
	}
	c, err := f.sessions.Authenticate(f.ctx, body["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != alice.ID || c.ClientID != gatehouse.FirstPartyClientID {
		t.Errorf("sub %q client_id %q", c.Subject, c.ClientID)
	}
}

func TestPasswordLoginVariants(t *testing.T) {
	f, alice, _ := tokenFixture(t)
	cases := []struct {
		name       string
		r          req
		wantClient string
		wantScope  string
	}{
		{"JSON body", req{body: `{"grant_type":"password","username":"alice","password":"` + alicePW + `"}`, contentType: "application/json"}, "gatehouse", "orders:read orders:write"},
		{"JSON with charset", req{body: `{"grant_type":"password","username":"alice","password":"` + alicePW + `"}`, contentType: "application/json; charset=UTF-8"}, "gatehouse", "orders:read orders:write"},
		{"narrower scope", req{body: form("grant_type", "password", "username", "alice", "password", alicePW, "scope", "orders:read")}, "gatehouse", "orders:read"},
		{"public client in the body", req{body: form("grant_type", "password", "username", "alice", "password", alicePW, "client_id", "mobile")}, "mobile", "orders:read orders:write"},
		{"public client in Basic with an empty secret (x/oauth2)", req{body: form("grant_type", "password", "username", "alice", "password", alicePW), header: basic("mobile", "")}, "mobile", "orders:read orders:write"},
		{"Basic scheme in lower case", req{body: form("grant_type", "password", "username", "alice", "password", alicePW), header: http.Header{"Authorization": {strings.Replace(basic("mobile", "").Get("Authorization"), "Basic", "basic", 1)}}}, "mobile", "orders:read orders:write"},
		{"confidential client in Basic", req{body: form("grant_type", "password", "username", "alice", "password", alicePW), header: basic("api", "s3cret-s3cret")}, "api", "orders:read orders:write"},
		{"confidential client in the body", req{body: form("grant_type", "password", "username", "alice", "password", alicePW, "client_id", "api", "client_secret", "s3cret-s3cret")}, "api", "orders:read orders:write"},
		{"Basic and the same client_id in the body", req{body: form("grant_type", "password", "username", "alice", "password", alicePW, "client_id", "api"), header: basic("api", "s3cret-s3cret")}, "api", "orders:read orders:write"},
		{"Swagger UI's default: Basic with an empty id and secret (Og==)", req{body: form("grant_type", "password", "username", "alice", "password", alicePW), header: http.Header{"Authorization": {"Basic Og=="}}}, "gatehouse", "orders:read orders:write"},
		{"the first-party client named", req{body: form("grant_type", "password", "username", "alice", "password", alicePW, "client_id", "gatehouse")}, "gatehouse", "orders:read orders:write"},
		{"username in capitals", req{body: form("grant_type", "password", "username", "ALICE", "password", alicePW)}, "gatehouse", "orders:read orders:write"},
		{"username in full width", req{body: form("grant_type", "password", "username", "ＡＬＩＣＥ", "password", alicePW)}, "gatehouse", "orders:read orders:write"},
		{"unknown parameters are ignored", req{body: form("grant_type", "password", "username", "alice", "password", alicePW, "foo", "bar")}, "gatehouse", "orders:read orders:write"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.method, tc.r.target = "POST", "/token"
			tc.r.remote = fmt.Sprintf("198.51.100.%d:1", i+1)
			w := f.do(tc.r)
			if w.Code != http.StatusOK {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			var tk tokens
			decode(t, w, &tk)
			c, err := f.sessions.Authenticate(f.ctx, tk.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != alice.ID || c.ClientID != tc.wantClient || tk.Scope != tc.wantScope {
				t.Errorf("sub %q client %q scope %q", c.Subject, c.ClientID, tk.Scope)
			}
		})
	}
}

func TestRefreshRotatesRetriesAndDetectsReuse(t *testing.T) {
	f, _, first := tokenFixture(t)
	f.clock.Advance(time.Minute)
	w := f.refresh(first.RefreshToken)
	if w.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", w.Code, w.Body)
	}
	checkNoStore(t, w)
	var second tokens
	decode(t, w, &second)
	if second.RefreshToken == first.RefreshToken || second.TokenType != "Bearer" {
		t.Fatalf("refresh did not rotate: %+v", second)
	}

	f.clock.Advance(5 * time.Second)
	w = f.refresh(first.RefreshToken)
	var retry tokens
	decode(t, w, &retry)
	if w.Code != http.StatusOK || retry.RefreshToken != second.RefreshToken {
		t.Fatalf("a retry within the grace window must return the same successor: %d %s", w.Code, w.Body)
	}

	f.clock.Advance(10 * time.Second)
	w = f.refresh(first.RefreshToken)
	if w.Code != 400 || oauthErr(t, w) != "invalid_grant" {
		t.Fatalf("replay after the grace window: %d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", second.AccessToken); w.Code != 401 {
		t.Errorf("access token of the killed session still accepted: %d", w.Code)
	}
	if w := f.refresh(second.RefreshToken); w.Code != 400 {
		t.Errorf("successor of the killed session still refreshes: %d", w.Code)
	}
}

func TestRefreshMayNarrowTheScope(t *testing.T) {
	f, _, tk := tokenFixture(t)
	w := f.postForm("/token", form("grant_type", "refresh_token", "refresh_token", tk.RefreshToken, "scope", "orders:read"))
	var got tokens
	decode(t, w, &got)
	if w.Code != 200 || got.Scope != "orders:read" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestDisabledUserCannotLogInOrRefresh(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	disabled := true
	if _, _, err := f.srv.Accounts.Update(f.ctx, alice.ID, account.Changes{Disabled: &disabled}, account.CommandLine); err != nil {
		t.Fatal(err)
	}
	w := f.postForm("/token", form("grant_type", "password", "username", "alice", "password", alicePW))
	if w.Code != 400 || oauthErr(t, w) != "invalid_grant" {
		t.Errorf("login: %d %s", w.Code, w.Body)
	}
	if w := f.refresh(tk.RefreshToken); w.Code != 400 || oauthErr(t, w) != "invalid_grant" {
		t.Errorf("refresh: %d %s", w.Code, w.Body)
	}
}

func TestUnknownUserAndWrongPasswordAnswerAlike(t *testing.T) {
	f, _, _ := tokenFixture(t)
	wrong := f.do(req{method: "POST", target: "/token", body: form("grant_type", "password", "username", "alice", "password", "not the password"), remote: "192.0.2.10:1"})
	unknown := f.do(req{method: "POST", target: "/token", body: form("grant_type", "password", "username", "nobody", "password", "not the password"), remote: "192.0.2.11:1"})
	if wrong.Code != unknown.Code || wrong.Body.String() != unknown.Body.String() {
		t.Errorf("wrong password %d %s; unknown user %d %s", wrong.Code, wrong.Body, unknown.Code, unknown.Body)
	}
	for k := range wrong.Header() {
		if k == "X-Request-Id" {
			continue // new for every request, whatever it is
		}
		if wrong.Header().Get(k) != unknown.Header().Get(k) {
			t.Errorf("header %s differs: %q vs %q", k, wrong.Header().Get(k), unknown.Header().Get(k))
		}
	}
	if len(wrong.Header()) != len(unknown.Header()) {
		t.Errorf("headers differ: %v vs %v", wrong.Header(), unknown.Header())
	}
}

func TestThrottledLoginIs429WithoutCheckingThePassword(t *testing.T) {
	f, alice, _ := tokenFixture(t)
	attempt := func(pw string) *httptest.ResponseRecorder {
		return f.do(req{method: "POST", target: "/token", body: form("grant_type", "password", "username", "alice", "password", pw), remote: "203.0.113.7:5555"})
	}
	for i := 1; i <= 6; i++ {
		if w := attempt("guess"); w.Code != 400 {
			t.Fatalf("attempt %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := attempt(alicePW)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" || oauthErr(t, w) != "too_many_requests" {
		t.Fatalf("inside the wait: %d Retry-After %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	checkNoStore(t, w)
	// The owner, from the address she logged in from before, is not locked out.
	if w := f.do(req{method: "POST", target: "/token", body: form("grant_type", "password", "username", "alice", "password", alicePW), remote: "192.0.2.1:1"}); w.Code != 200 {
		t.Errorf("owner from a known address: %d %s", w.Code, w.Body)
	}
	f.clock.Advance(time.Second)
	if w := attempt(alicePW); w.Code != 200 {
		t.Fatalf("after the wait: %d %s", w.Code, w.Body)
	}
	_ = alice
}

func TestASpoofedForwardedForDoesNotEscapeTheThrottle(t *testing.T) {
	f, _, _ := tokenFixture(t)
	// 203.0.113.7 is not a trusted proxy: every attempt claims to come from
	// a new address, and every one is counted against the real peer.
	for i := 1; i <= 6; i++ {
		w := f.do(req{method: "POST", target: "/token", remote: "203.0.113.7:5555",
			header: http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i)}},
			body:   form("grant_type", "password", "username", "alice", "password", "guess")})
		if w.Code != 400 {
			t.Fatalf("attempt %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := f.do(req{method: "POST", target: "/token", remote: "203.0.113.7:5555",
		header: http.Header{"X-Forwarded-For": {"198.51.100.99"}},
		body:   form("grant_type", "password", "username", "alice", "password", alicePW)})
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("a fresh spoofed address reset the counters: %d %s", w.Code, w.Body)
	}
}

func TestLoginsAreAuditedWithoutSecrets(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	f.postForm("/token", form("grant_type", "password", "username", "alice", "password", "guess-guess"))
	f.postForm("/token", form("grant_type", "password", "username", "nobody", "password", "other secret"))
	evs, err := f.store.Events(f.ctx, "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
		row := fmt.Sprintf("%+v", *e)
		for _, secret := range []string{alicePW, "guess-guess", "other secret", tk.AccessToken, tk.RefreshToken, "nobody"} {
			if strings.Contains(row, secret) {
				t.Errorf("audit row %s contains a secret or the attempted name", row)
			}
		}
		if e.Kind == gatehouse.EventLoginOK && (e.UserID != alice.ID || e.SessionID == "") {
			t.Errorf("login.ok event %+v", e)
		}
	}
	if kinds[gatehouse.EventLoginOK] != 1 || kinds[gatehouse.EventLoginFailed] != 2 {
		t.Errorf("events %v", kinds)
	}
	f.refresh(tk.RefreshToken)
	f.postForm("/revoke", form("token", tk.AccessToken))
	logs := f.logs.String()
	if !strings.Contains(logs, gatehouse.EventLoginFailed) {
		t.Error("the structured log has no login.failed record")
	}
	for _, secret := range []string{alicePW, "guess-guess", "other secret", tk.AccessToken, tk.RefreshToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server log contains %.12q…", secret)
		}
	}
}
