package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const alicePassword = "correct horse battery staple"

// grace is the --reuse-grace the servers of these tests run with, so the
// replay-after-grace step waits a little over a second, not ten.
const grace = time.Second

func TestUserStory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	srv := startGatehouse(t, db, "127.0.0.1:0", "--reuse-grace", grace.String())
	base := srv.url()

	// add user
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")

	// log in with a form, as OAuth2PasswordRequestForm sends it
	first := login(t, base, "alice", alicePassword)

	// /userinfo
	info := userinfo(t, base, first.access)
	if info.status != http.StatusOK {
		t.Fatalf("userinfo: %d %s", info.status, info.body)
	}
	if info.str("preferred_username") != "alice" || info.str("scope") != "orders:read" {
		t.Fatalf("userinfo = %s, want alice with scope orders:read", info.body)
	}
	if sub := info.str("sub"); sub == "" || sub == "alice" {
		t.Fatalf("userinfo sub = %q, want the stable user id, not the username", sub)
	}

	// refresh: a new pair, the old refresh token retired
	second := wantTokens(t, refresh(t, base, first.refresh))
	if second.refresh == first.refresh || second.access == first.access {
		t.Fatal("refresh returned the same tokens")
	}
	if r := userinfo(t, base, second.access); r.status != http.StatusOK {
		t.Fatalf("userinfo with the refreshed access token: %d %s", r.status, r.body)
	}

	// replay the old refresh token after the grace window: reuse, not a retry
	time.Sleep(grace + grace/2)
	wantOAuthError(t, refresh(t, base, first.refresh), http.StatusBadRequest, "invalid_grant")

	// the session is dead: its live refresh token and its access tokens are refused
	wantOAuthError(t, refresh(t, base, second.refresh), http.StatusBadRequest, "invalid_grant")
	wantInvalidToken(t, userinfo(t, base, second.access))
	wantInvalidToken(t, userinfo(t, base, first.access))

	// log in again, log out: that access token is refused at once
	third := login(t, base, "alice", alicePassword)
	if r := userinfo(t, base, third.access); r.status != http.StatusOK {
		t.Fatalf("userinfo after logging in again: %d %s", r.status, r.body)
	}
	if r := call(t, "POST", base, "/logout", url.Values{}, third.access); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s, want 204", r.status, r.body)
	}
	wantInvalidToken(t, userinfo(t, base, third.access))
	wantOAuthError(t, refresh(t, base, third.refresh), http.StatusBadRequest, "invalid_grant")

	// nothing secret reached the logs
	logs := srv.logs.String()
	for what, secret := range map[string]string{
		"the password": alicePassword, "an access token": third.access, "a refresh token": first.refresh,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server logged %s", what)
		}
	}
}

func TestRestartLosesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	srv := startGatehouse(t, db, "127.0.0.1:0", "--reuse-grace", grace.String())
	base, addr := srv.url(), srv.addr
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin", "--scope", "orders:read")

	kept := login(t, base, "alice", alicePassword)      // refreshed after the restart
	loggedOut := login(t, base, "alice", alicePassword) // logged out before it
	if r := call(t, "POST", base, "/logout", url.Values{}, loggedOut.access); r.status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	revoked := login(t, base, "alice", alicePassword) // its access token revoked before it
	if r := call(t, "POST", base, "/revoke", url.Values{
		"token": {revoked.access}, "token_type_hint": {"access_token"},
	}, ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	wantInvalidToken(t, userinfo(t, base, revoked.access))
	kidsBefore := kids(t, base)
	signedBy := tokenKid(t, kept.access)

	if code := srv.stop(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}
	startGatehouse(t, db, addr, "--reuse-grace", grace.String())

	if got := kids(t, base); !slices.Equal(sorted(got), sorted(kidsBefore)) {
		t.Fatalf("JWKS kids after restart = %v, want %v", got, kidsBefore)
	}
	if !slices.Contains(kidsBefore, signedBy) {
		t.Fatalf("the access token's kid %q is not in the JWKS %v", signedBy, kidsBefore)
	}
	// an access token from before the restart still verifies: same key, same issuer
	if r := userinfo(t, base, kept.access); r.status != http.StatusOK {
		t.Fatalf("userinfo with a token from before the restart: %d %s", r.status, r.body)
	}
	// the refresh token still refreshes, with the same key
	next := wantTokens(t, refresh(t, base, kept.refresh))
	if kid := tokenKid(t, next.access); kid != signedBy {
		t.Fatalf("signing key after restart = %q, want %q", kid, signedBy)
	}
	if r := userinfo(t, base, next.access); r.status != http.StatusOK {
		t.Fatalf("userinfo after refreshing across the restart: %d %s", r.status, r.body)
	}
	// revocations made before the restart still hold
	wantInvalidToken(t, userinfo(t, base, loggedOut.access))
	wantOAuthError(t, refresh(t, base, loggedOut.refresh), http.StatusBadRequest, "invalid_grant")
	wantInvalidToken(t, userinfo(t, base, revoked.access))
}

// tokenKid returns the kid of a JWT's header.
func tokenKid(t *testing.T, jwt string) string {
	t.Helper()
	head, _, ok := strings.Cut(jwt, ".")
	if !ok {
		t.Fatalf("not a JWT: %.20q…", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	if h.Kid == "" {
		t.Fatalf("JWT header without kid: %s", raw)
	}
	return h.Kid
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
