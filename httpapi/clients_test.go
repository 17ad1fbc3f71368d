package httpapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
)

func TestRevokeAnswers(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	cases := []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"no token", req{body: form("token_type_hint", "access_token")}, 400, "invalid_request"},
		{"token in the query", req{target: "/revoke?token=" + tk.AccessToken}, 400, "invalid_request"},
		{"repeated token", req{body: form("token", "a") + "&token=b"}, 400, "invalid_request"},
		{"unknown client", req{body: form("token", tk.AccessToken, "client_id", "nobody")}, 401, "invalid_client"},
		{"confidential client without its secret", req{body: form("token", tk.AccessToken, "client_id", "api")}, 401, "invalid_client"},
		{"body over 64 KiB", req{body: form("token", strings.Repeat("a", 70<<10))}, 413, "invalid_request"},
		{"unknown token", req{body: form("token", "nonsense")}, 200, ""},
		{"huge token", req{body: form("token", strings.Repeat("a", 60<<10))}, 200, ""},
		{"another client's token", req{body: form("token", tk.RefreshToken, "client_id", "mobile")}, 200, ""},
		{"another client's access token", req{body: form("token", tk.AccessToken), header: basic("api", "s3cret-s3cret")}, 200, ""},
		{"an unknown hint", req{body: form("token", "nonsense", "token_type_hint", "id_token")}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.method = "POST"
			if tc.r.target == "" {
				tc.r.target = "/revoke"
			}
			if tc.r.body == "" {
				tc.r.contentType = "application/x-www-form-urlencoded"
			}
			w := f.do(tc.r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.code != "" && oauthErr(t, w) != tc.code {
				t.Errorf("error %s, want %s", w.Body, tc.code)
			}
			checkNoStore(t, w)
		})
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 200 {
		t.Fatalf("refused revocations changed state: %d", w.Code)
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Fatalf("%d sessions", n)
	}
}

func TestRevokeAccessTokenIsRefusedAtOnce(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	if w := f.postForm("/revoke", form("token", tk.AccessToken, "token_type_hint", "access_token")); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("revoked access token: %d", w.Code)
	}
	if n := f.sessionCount(alice.ID); n != 1 {
		t.Errorf("revoking an access token ended the session")
	}
}

func TestRevokeRefreshTokenEndsTheSession(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	if w := f.do(req{method: "POST", target: "/revoke", body: form("token", tk.RefreshToken), header: basic("gatehouse", "")}); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := f.bearer("GET", "/userinfo", tk.AccessToken); w.Code != 401 {
		t.Errorf("access token of the revoked session: %d", w.Code)
	}
	if n := f.sessionCount(alice.ID); n != 0 {
		t.Errorf("%d sessions", n)
	}
}

func TestIntrospection(t *testing.T) {
	f, alice, tk := tokenFixture(t)
	api := basic("api", "s3cret-s3cret")
	introspect := func(tok string, h http.Header) map[string]any {
		t.Helper()
		w := f.do(req{method: "POST", target: "/introspect", body: form("token", tok), header: h})
		if w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		checkNoStore(t, w)
		var got map[string]any
		decode(t, w, &got)
		return got
	}
	got := introspect(tk.AccessToken, api)
	want := map[string]any{
		"active": true, "scope": "orders:read orders:write", "client_id": "gatehouse", "sub": alice.ID,
		"username": "alice", "token_type": "Bearer", "iss": issuer, "aud": issuer,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, k := range []string{"exp", "iat", "jti", "sid"} {
		if got[k] == nil || got[k] == "" {
			t.Errorf("no %s in %v", k, got)
		}
	}
	for name, tok := range map[string]string{
		"garbage":       "garbage",
		"refresh token": tk.RefreshToken,
		"too long":      strings.Repeat("a", 9000),
	} {
		if got := introspect(tok, api); len(got) != 1 || got["active"] != false {
			t.Errorf("%s: %v", name, got)
		}
	}
	f.bearer("POST", "/logout", tk.AccessToken)
	if got := introspect(tk.AccessToken, api); len(got) != 1 || got["active"] != false {
		t.Errorf("after logout: %v", got)
	}

	for _, tc := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"no client", req{body: form("token", tk.AccessToken)}, 401, "invalid_client"},
		{"public client", req{body: form("token", tk.AccessToken, "client_id", "mobile")}, 401, "invalid_client"},
		{"the first-party client", req{body: form("token", tk.AccessToken), header: basic("gatehouse", "")}, 401, "invalid_client"},
		{"wrong secret", req{body: form("token", tk.AccessToken), header: basic("api", "nope-nope-nope")}, 401, "invalid_client"},
		{"no token", req{body: form("token_type_hint", "access_token"), header: api}, 400, "invalid_request"},
		{"token in the query", req{target: "/introspect?token=x", body: form("token", "y"), header: api}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.method = "POST"
			if tc.r.target == "" {
				tc.r.target = "/introspect"
			}
			w := f.do(tc.r)
			if w.Code != tc.status || oauthErr(t, w) != tc.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
			if tc.status == 401 && w.Header().Get("WWW-Authenticate") != `Basic realm="gatehouse"` {
				t.Errorf("WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestRevocationFeed(t *testing.T) {
	f, _, tk := tokenFixture(t)
	api := basic("api", "s3cret-s3cret")
	f.postForm("/revoke", form("token", tk.AccessToken))
	f.bearer("POST", "/logout", f.login("alice", alicePW).AccessToken)

	type feed struct {
		Revocations []struct {
			Cursor   int64  `json:"cursor"`
			Kind     string `json:"kind"`
			Value    string `json:"value"`
			ForgetAt int64  `json:"forget_at"`
		} `json:"revocations"`
		Next int64 `json:"next"`
	}
	w := f.do(req{method: "GET", target: "/revocations", header: api})
	var page feed
	decode(t, w, &page)
	if w.Code != 200 || len(page.Revocations) != 2 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if page.Revocations[0].Kind != "jti" || page.Revocations[1].Kind != "sid" || page.Next != page.Revocations[1].Cursor {
		t.Errorf("feed %+v", page)
	}
	if page.Revocations[0].ForgetAt <= f.clock.Now().Unix() {
		t.Errorf("forget_at %d not in the future", page.Revocations[0].ForgetAt)
	}
	w = f.do(req{method: "GET", target: "/revocations?since=" + itoa(page.Next), header: api})
	var rest feed
	decode(t, w, &rest)
	if len(rest.Revocations) != 0 || rest.Next != page.Next {
		t.Errorf("after the last cursor: %s", w.Body)
	}

	for _, tc := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"no client", req{target: "/revocations"}, 401, "invalid_client"},
		{"public client", req{target: "/revocations", header: basic("mobile", "")}, 401, "invalid_client"},
		{"credentials in the query", req{target: "/revocations?client_id=api&client_secret=s3cret-s3cret"}, 400, "invalid_request"},
		{"negative cursor", req{target: "/revocations?since=-1", header: api}, 400, "invalid_request"},
		{"cursor not a number", req{target: "/revocations?since=abc", header: api}, 400, "invalid_request"},
		{"cursor out of range", req{target: "/revocations?since=99999999999999999999", header: api}, 400, "invalid_request"},
		{"repeated cursor", req{target: "/revocations?since=1&since=2", header: api}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.method = "GET"
			w := f.do(tc.r)
			if w.Code != tc.status || oauthErr(t, w) != tc.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAGeneratedClientSecretIsCheckedAgainstItsSHA256(t *testing.T) {
	f, _, tk := tokenFixture(t)
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	c := &gatehouse.Client{ID: "gh_api", Name: "api", SecretHash: password.SecretHash(secret), CreatedAt: f.clock.Now()}
	if err := f.store.CreateClient(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		h      http.Header
		status int
	}{
		{"the right secret", basic("gh_api", secret), http.StatusOK},
		{"a wrong secret", basic("gh_api", secret[:len(secret)-1]+"Q"), http.StatusUnauthorized},
		{"no secret", basic("gh_api", ""), http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(req{method: "POST", target: "/introspect", body: form("token", tk.AccessToken), header: tt.h})
			if w.Code != tt.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tt.status)
			}
			if tt.status == http.StatusUnauthorized && oauthErr(t, w) != "invalid_client" {
				t.Errorf("error %s", w.Body)
			}
		})
	}
}
