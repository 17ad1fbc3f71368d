package session_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/session"
)

// clock is the settable clock shared with the code under test.
type clock = testclock.Clock

type fixture struct {
	t     *testing.T
	srv   *testserver.Server
	ctx   context.Context
	store gatehouse.Store
	clock *clock
	keys  *session.Keyring
	m     *session.Manager
	user  *gatehouse.User
}

const issuer = testserver.Issuer

// newFixture is the session manager of a test server (access tokens 15m,
// idle 1h, sessions 3h, grace 10s) and a user with two scopes.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := testserver.New(t, testserver.Options{})
	now := s.Clock.Now()
	u := &gatehouse.User{
		ID: gatehouse.NewID(), Username: "alice", PasswordHash: "x",
		Scopes: []string{"orders:read", "orders:write"}, CreatedAt: now, UpdatedAt: now, Epoch: now,
	}
	if err := s.Store.CreateUser(s.Ctx, u); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, srv: s, ctx: s.Ctx, store: s.Store, clock: s.Clock, keys: s.Keys, m: s.Sessions, user: u}
}

func (f *fixture) login() *session.Grant {
	f.t.Helper()
	g, err := f.m.Login(f.ctx, session.Login{User: f.user, UserAgent: "test", IP: "192.0.2.1"})
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

func (f *fixture) refresh(tok string) (*session.Grant, error) {
	return f.m.Refresh(f.ctx, session.Refresh{Token: tok})
}

func (f *fixture) mustRefresh(tok string) *session.Grant {
	f.t.Helper()
	g, err := f.refresh(tok)
	if err != nil {
		f.t.Fatalf("refresh: %v", err)
	}
	return g
}

func (f *fixture) authenticates(access string) bool {
	f.t.Helper()
	_, err := f.m.Authenticate(f.ctx, access)
	if err != nil && !errors.Is(err, session.ErrInvalidToken) {
		f.t.Fatalf("authenticate: unexpected error %v", err)
	}
	return err == nil
}

func TestLoginIssuesAnAccessTokenWithTheSessionClaims(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	c, err := f.m.Authenticate(f.ctx, g.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != f.user.ID || c.SessionID != g.Session.ID || c.ClientID != gatehouse.FirstPartyClientID {
		t.Errorf("claims sub=%q sid=%q client_id=%q", c.Subject, c.SessionID, c.ClientID)
	}
	if gatehouse.FormatScope(c.Scopes) != "orders:read orders:write" {
		t.Errorf("scope = %q", gatehouse.FormatScope(c.Scopes))
	}
	if !c.AuthTime.Equal(f.clock.Now()) || !c.ExpiresAt.Equal(f.clock.Now().Add(15*time.Minute)) {
		t.Errorf("auth_time %v exp %v", c.AuthTime, c.ExpiresAt)
	}
	if g.ExpiresIn != 15*time.Minute || len(g.RefreshToken) < 43 {
		t.Errorf("expires_in %v refresh token %d chars", g.ExpiresIn, len(g.RefreshToken))
	}
}

func TestLoginRefusesScopeTheUserDoesNotHave(t *testing.T) {
	f := newFixture(t)
	_, err := f.m.Login(f.ctx, session.Login{User: f.user, Scopes: []string{"orders:read", "admin"}})
	if !errors.Is(err, session.ErrInvalidScope) {
		t.Fatalf("err = %v, want ErrInvalidScope", err)
	}
	if ss, _ := f.m.Sessions(f.ctx, f.user.ID); len(ss) != 0 {
		t.Errorf("%d sessions created", len(ss))
	}
}

func TestLoginOfDisabledUserIsRefused(t *testing.T) {
	f := newFixture(t)
	f.user.Disabled = true
	if _, err := f.m.Login(f.ctx, session.Login{User: f.user}); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("err = %v, want ErrInvalidGrant", err)
	}
}

func TestRefreshRotatesTheToken(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	f.clock.Advance(time.Minute)
	g2 := f.mustRefresh(g.RefreshToken)
	if g2.RefreshToken == g.RefreshToken || g2.AccessToken == g.AccessToken {
		t.Fatal("refresh returned the same tokens")
	}
	if g2.Session.ID != g.Session.ID {
		t.Errorf("refresh moved to session %s", g2.Session.ID)
	}
	if !f.authenticates(g2.AccessToken) {
		t.Error("new access token refused")
	}
	f.mustRefresh(g2.RefreshToken)
}

func TestRetryWithinGraceReturnsTheSameSuccessor(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	g2 := f.mustRefresh(g.RefreshToken)
	f.clock.Advance(9 * time.Second)
	g3 := f.mustRefresh(g.RefreshToken)
	if g3.RefreshToken != g2.RefreshToken {
		t.Fatal("retry within grace returned a different refresh token")
	}
	if g3.AccessToken == g2.AccessToken {
		t.Error("retry should mint a new access token")
	}
	f.mustRefresh(g3.RefreshToken) // the session goes on
}

func TestReuseAfterGraceRevokesTheSession(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	g2 := f.mustRefresh(g.RefreshToken)
	f.clock.Advance(11 * time.Second)
	if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("replay after grace: err = %v, want ErrInvalidGrant", err)
	}
	if _, err := f.refresh(g2.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Errorf("successor after reuse: err = %v, want ErrInvalidGrant", err)
	}
	if f.authenticates(g2.AccessToken) || f.authenticates(g.AccessToken) {
		t.Error("access tokens of a revoked session still accepted")
	}
	evs, err := f.store.Events(f.ctx, f.user.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		if e.Kind == gatehouse.EventRefreshReuse && e.SessionID == g.Session.ID {
			found = true
		}
	}
	if !found {
		t.Error("no refresh.reuse audit event recorded")
	}
}

func TestOnlyTheMostRecentlyRotatedTokenIsARetry(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	g2 := f.mustRefresh(g.RefreshToken)
	f.mustRefresh(g2.RefreshToken)
	if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("older retired token within grace: err = %v, want ErrInvalidGrant", err)
	}
	if ss, _ := f.m.Sessions(f.ctx, f.user.ID); len(ss) != 0 {
		t.Error("session still active after reuse of an older token")
	}
}

func TestRefreshByAnotherClientIsRefusedWithoutChange(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	if _, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Client: &gatehouse.Client{ID: "other"}}); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("err = %v, want ErrInvalidGrant", err)
	}
	f.clock.Advance(time.Minute)
	f.mustRefresh(g.RefreshToken) // not rotated by the refused request
}

func TestRetiredTokenPresentedByAnotherClientIsNotReuse(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	f.clock.Advance(time.Minute)
	g2 := f.mustRefresh(g.RefreshToken)
	f.clock.Advance(time.Hour / 2) // past the grace window: reuse, if it were this client's
	if _, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Client: &gatehouse.Client{ID: "other"}}); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("err = %v, want ErrInvalidGrant", err)
	}
	f.mustRefresh(g2.RefreshToken) // the session was not revoked
}

func TestRefreshMayNarrowButNotWidenTheScope(t *testing.T) {
	f := newFixture(t)
	g, err := f.m.Login(f.ctx, session.Login{User: f.user, Scopes: []string{"orders:write"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Scopes: []string{"orders:read", "orders:write"}}); !errors.Is(err, session.ErrInvalidScope) {
		t.Fatalf("widening: err = %v, want ErrInvalidScope", err)
	}
	g2, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Scopes: []string{"orders:write"}})
	if err != nil {
		t.Fatalf("the same scope (after a refused widening, which must not rotate): %v", err)
	}
	if gatehouse.FormatScope(g2.Scopes) != "orders:write" {
		t.Errorf("scopes = %v, want orders:write", g2.Scopes)
	}
	// Without a scope (nil or empty), a refresh gets the login's.
	g3, err := f.m.Refresh(f.ctx, session.Refresh{Token: g2.RefreshToken, Scopes: []string{}})
	if err != nil || gatehouse.FormatScope(g3.Scopes) != "orders:write" {
		t.Errorf("a refresh with an empty scope gets the login scope; got %v, %v", g3, err)
	}
	full := f.login()
	g4, err := f.m.Refresh(f.ctx, session.Refresh{Token: full.RefreshToken, Scopes: []string{"orders:read"}})
	if err != nil || gatehouse.FormatScope(g4.Scopes) != "orders:read" {
		t.Errorf("narrowing: %v, %v", g4, err)
	}
}

func TestRefreshOfADisabledUserIsRefused(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	// Disabled in the store without moving the epoch: the rotation itself
	// checks the user.
	f.user.Disabled = true
	if _, err := f.store.UpdateUser(f.ctx, f.user, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("err = %v, want ErrInvalidGrant", err)
	}
}

func TestMalformedRefreshTokensAreInvalidGrant(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	for _, tok := range []string{"", "ghr_", g.RefreshToken + "A", g.RefreshToken[:len(g.RefreshToken)-1], "ghx_" + g.RefreshToken[4:], g.AccessToken} {
		if _, err := f.refresh(tok); !errors.Is(err, session.ErrInvalidGrant) {
			t.Errorf("%.12q…: err = %v, want ErrInvalidGrant", tok, err)
		}
	}
	f.mustRefresh(g.RefreshToken)
}

func TestIdleTimeoutEndsTheSession(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	f.clock.Advance(time.Hour + time.Second)
	if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("err = %v, want ErrInvalidGrant", err)
	}
}

func TestRefreshSlidesIdleTimeoutButNotTheAbsoluteLifetime(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	tok := g.RefreshToken
	for range 5 { // 5 × 50 min: past the 1h idle, within the 3h lifetime only while refreshing
		f.clock.Advance(50 * time.Minute)
		g2, err := f.refresh(tok)
		if f.clock.Now().Sub(g.Session.CreatedAt) >= 3*time.Hour {
			if !errors.Is(err, session.ErrInvalidGrant) {
				t.Fatalf("past the absolute lifetime: err = %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("within the lifetime: %v", err)
		}
		if g2.Claims.ExpiresAt.After(g.Session.ExpiresAt) {
			t.Errorf("access token outlives its session: exp %v > %v", g2.Claims.ExpiresAt, g.Session.ExpiresAt)
		}
		tok = g2.RefreshToken
	}
	t.Fatal("session outlived its absolute lifetime")
}

func TestRevokeTokenEndsTheSessionOrTheAccessToken(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	other := f.login()

	if err := f.m.RevokeToken(f.ctx, other.AccessToken, "access_token", "someone-else"); err != nil {
		t.Fatal(err)
	}
	if !f.authenticates(other.AccessToken) {
		t.Error("another client's revocation took effect")
	}
	if err := f.m.RevokeToken(f.ctx, other.AccessToken, "", ""); err != nil {
		t.Fatal(err)
	}
	if f.authenticates(other.AccessToken) {
		t.Error("revoked access token still accepted")
	}
	f.mustRefresh(other.RefreshToken) // its session lives on

	if err := f.m.RevokeToken(f.ctx, g.RefreshToken, "refresh_token", ""); err != nil {
		t.Fatal(err)
	}
	if f.authenticates(g.AccessToken) {
		t.Error("access token of a revoked session still accepted")
	}
	if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Errorf("revoked refresh token: err = %v", err)
	}
	for _, unknown := range []string{"", "nonsense", "ghr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if err := f.m.RevokeToken(f.ctx, unknown, "", ""); err != nil {
			t.Errorf("unknown token %q: %v", unknown, err)
		}
	}
}

func TestAnEpochMoveEndsEverySessionAndEveryAccessToken(t *testing.T) {
	f := newFixture(t)
	a, b := f.login(), f.login()
	stale := *f.user
	f.user.Epoch = gatehouse.NextEpoch(f.clock.Now(), f.user.Epoch)
	f.user.UpdatedAt = f.clock.Now()
	n, err := f.store.UpdateUser(f.ctx, f.user, "password changed")
	if err != nil || n != 2 {
		t.Fatalf("ended %d, err %v", n, err)
	}
	for _, g := range []*session.Grant{a, b} {
		if f.authenticates(g.AccessToken) {
			t.Error("access token accepted after the epoch moved")
		}
		if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
			t.Errorf("refresh after the epoch moved: %v", err)
		}
	}
	// A login decided on the user as it was before creates nothing.
	if _, err := f.m.Login(f.ctx, session.Login{User: &stale}); !errors.Is(err, session.ErrUserChanged) {
		t.Fatalf("login under the old epoch: err = %v, want ErrUserChanged", err)
	}
	if ss, _ := f.m.Sessions(f.ctx, f.user.ID); len(ss) != 0 {
		t.Errorf("%d sessions active", len(ss))
	}
	g := f.login() // under the new epoch
	if !f.authenticates(g.AccessToken) {
		t.Error("a login after the move is refused")
	}
}

func TestAuthenticateGrantsOnlyTheScopesTheUserStillHas(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	// Taken away in the store without moving the epoch (the account
	// service moves it; this is the second line of defence).
	f.user.Scopes = []string{"orders:read"}
	if _, err := f.store.UpdateUser(f.ctx, f.user, ""); err != nil {
		t.Fatal(err)
	}
	c, err := f.m.Authenticate(f.ctx, g.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if gatehouse.FormatScope(c.Scopes) != "orders:read" {
		t.Errorf("scopes = %q, want orders:read", gatehouse.FormatScope(c.Scopes))
	}
}

func TestAnAccessTokenWithoutASessionIsRefused(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	tok, err := f.keys.Sign(f.ctx, &gatehouse.Claims{
		Issuer: issuer, Subject: f.user.ID, Audience: []string{issuer}, ExpiresAt: now.Add(time.Minute),
		IssuedAt: now, ID: gatehouse.NewID(), ClientID: gatehouse.FirstPartyClientID,
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.authenticates(tok) {
		t.Error("a signed token without sid was accepted")
	}
}

// legacySession stores a session as it was before refresh tokens carried a
// family, and returns its first token.
func (f *fixture) legacySession() string {
	f.t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	tok := "ghr_" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(tok))
	now := f.clock.Now()
	s := &gatehouse.Session{ID: gatehouse.NewID(), UserID: f.user.ID, ClientID: gatehouse.FirstPartyClientID,
		Scopes: []string{"orders:read"}, AuthTime: now, CreatedAt: now, LastUsedAt: now,
		IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(3 * time.Hour), Epoch: f.user.Epoch,
		AccessExpiresAt: now.Add(3 * time.Hour)}
	if err := f.store.CreateSession(f.ctx, s, &gatehouse.RefreshToken{Hash: h[:], SessionID: s.ID, CreatedAt: now}); err != nil {
		f.t.Fatal(err)
	}
	return tok
}

func TestASessionFromBeforeFamiliesKeepsRefreshingAndDetectingReuse(t *testing.T) {
	f := newFixture(t)
	first := f.legacySession()
	g := f.mustRefresh(first)
	if len(g.RefreshToken) != len(first) {
		t.Errorf("the successor of a legacy token has %d characters, want %d (no family)", len(g.RefreshToken), len(first))
	}
	g2 := f.mustRefresh(g.RefreshToken)
	f.clock.Advance(11 * time.Second)
	if _, err := f.refresh(first); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("reuse of the first legacy token: err = %v, want ErrInvalidGrant", err)
	}
	if _, err := f.refresh(g2.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Errorf("the live token after reuse: err = %v, want ErrInvalidGrant (session revoked)", err)
	}
}

func TestAnOlderRetiredTokenWhoseRowIsGoneIsStillReuse(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	chain := []string{g.RefreshToken}
	for range 5 {
		chain = append(chain, f.mustRefresh(chain[len(chain)-1]).RefreshToken)
	}
	// chain[0] has been pruned (a session keeps two rows); its family is
	// the session's, so presenting it is reuse.
	if _, err := f.refresh(chain[0]); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("reuse of a pruned token: err = %v, want ErrInvalidGrant", err)
	}
	if _, err := f.refresh(chain[len(chain)-1]); !errors.Is(err, session.ErrInvalidGrant) {
		t.Errorf("the live token after reuse: err = %v, want ErrInvalidGrant", err)
	}
	if f.authenticates(g.AccessToken) {
		t.Error("an access token of the session is accepted after reuse")
	}
	// RFC 7009 revocation of a pruned token of another live session ends it.
	h := f.login()
	next := f.mustRefresh(h.RefreshToken)
	third := f.mustRefresh(next.RefreshToken)
	if err := f.m.RevokeToken(f.ctx, h.RefreshToken, "refresh_token", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.refresh(third.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
		t.Errorf("after /revoke of a pruned token of the session: err = %v, want ErrInvalidGrant", err)
	}
}

func TestEndSessionOfAnotherUserIsNotFound(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	if err := f.m.EndSession(f.ctx, "someone-else", g.Session.ID, "logout"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if !f.authenticates(g.AccessToken) {
		t.Error("session ended by a stranger")
	}
}

func TestConcurrentRefreshesOfOneTokenShareOneSuccessor(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	const n = 50
	results := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			g2, err := f.refresh(g.RefreshToken)
			errs[i] = err
			if err == nil {
				results[i] = g2.RefreshToken
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("refresh %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Fatalf("refresh %d got a different successor", i)
		}
	}
	f.mustRefresh(results[0])
}

func TestNewRefusesNegativeAndInconsistentDurations(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		set  func(*session.Config)
		want string
	}{
		{"a grace window over a minute", func(c *session.Config) { c.Grace = 2 * time.Minute }, "reuse grace 2m0s is longer than 1m0s"},
		{"a negative access TTL", func(c *session.Config) { c.AccessTTL = -5 * time.Minute }, "AccessTTL -5m0s is negative"},
		{"a negative idle TTL", func(c *session.Config) { c.IdleTTL = -time.Hour }, "IdleTTL -1h0m0s is negative"},
		{"a negative max age", func(c *session.Config) { c.MaxAge = -time.Hour }, "MaxAge -1h0m0s is negative"},
		{"a negative grace", func(c *session.Config) { c.Grace = -time.Second }, "Grace -1s is negative"},
		{"a negative leeway", func(c *session.Config) { c.Leeway = -time.Second }, "Leeway -1s is negative"},
		{"a grace longer than the access TTL", func(c *session.Config) { c.AccessTTL = 20 * time.Second; c.Grace = 30 * time.Second },
			"reuse grace 30s is longer than AccessTTL 20s"},
		{"an idle TTL above the max age", func(c *session.Config) { c.IdleTTL = 2 * time.Hour; c.MaxAge = time.Hour },
			"IdleTTL 2h0m0s is longer than MaxAge 1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := session.Config{Store: f.store, Keyring: f.keys, Issuer: issuer}
			tc.set(&cfg)
			_, err := session.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewTakesTheDocumentedDefaultsForZeroDurations(t *testing.T) {
	f := newFixture(t)
	m, err := session.New(session.Config{Store: f.store, Keyring: f.keys, Issuer: issuer})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.AccessTTL(); got != 15*time.Minute {
		t.Fatalf("AccessTTL = %v, want the documented default 15m", got)
	}
}

func TestEndOtherSessionsKeepsOnlyTheAskingOne(t *testing.T) {
	f := newFixture(t)
	mine, other1, other2 := f.login(), f.login(), f.login()
	// Another user's session is never touched.
	now := f.clock.Now()
	bob := &gatehouse.User{ID: gatehouse.NewID(), Username: "bob", PasswordHash: "x", CreatedAt: now, UpdatedAt: now, Epoch: now}
	if err := f.store.CreateUser(f.ctx, bob); err != nil {
		t.Fatal(err)
	}
	bobs, err := f.m.Login(f.ctx, session.Login{User: bob})
	if err != nil {
		t.Fatal(err)
	}

	n, err := f.m.EndOtherSessions(f.ctx, f.user.ID, mine.Session.ID, "ended by the user")
	if err != nil || n != 2 {
		t.Fatalf("EndOtherSessions = %d, %v; want 2, nil", n, err)
	}
	if !f.authenticates(mine.AccessToken) {
		t.Error("the kept session's access token is refused")
	}
	if _, err := f.refresh(mine.RefreshToken); err != nil {
		t.Errorf("the kept session no longer refreshes: %v", err)
	}
	for i, g := range []*session.Grant{other1, other2} {
		if f.authenticates(g.AccessToken) {
			t.Errorf("other session %d: its access token is still honoured", i+1)
		}
		if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
			t.Errorf("other session %d refreshes: %v", i+1, err)
		}
	}
	if !f.authenticates(bobs.AccessToken) {
		t.Error("another user's session was ended")
	}
	if n, err := f.m.EndOtherSessions(f.ctx, f.user.ID, mine.Session.ID, "again"); err != nil || n != 0 {
		t.Errorf("second EndOtherSessions = %d, %v; want 0, nil", n, err)
	}
}
