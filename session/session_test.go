package session_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testclock"
	"github.com/gatehouse/gatehouse/internal/testdb"
	"github.com/gatehouse/gatehouse/session"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// clock is the settable clock shared with the code under test.
type clock = testclock.Clock

type fixture struct {
	t     *testing.T
	ctx   context.Context
	store *sqlite.Store
	clock *clock
	keys  *session.Keyring
	m     *session.Manager
	user  *gatehouse.User
}

const issuer = "https://auth.example.test"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := testdb.SQLite(t)
	clk := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	keys, err := session.LoadKeyring(ctx, st, session.KeyringConfig{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.New(session.Config{
		Store: st, Keyring: keys, Issuer: issuer,
		AccessTTL: 15 * time.Minute, IdleTTL: time.Hour, MaxAge: 3 * time.Hour, Grace: 10 * time.Second,
		Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{
		ID: session.NewID(), Username: "alice", PasswordHash: "x",
		Scopes: []string{"orders:read", "orders:write"}, CreatedAt: clk.Now(), UpdatedAt: clk.Now(),
	}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, store: st, clock: clk, keys: keys, m: m, user: u}
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
	if _, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, ClientID: "other"}); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("err = %v, want ErrInvalidGrant", err)
	}
	f.clock.Advance(time.Minute)
	f.mustRefresh(g.RefreshToken) // not rotated by the refused request
}

func TestRefreshMayNarrowButNotWidenTheScope(t *testing.T) {
	f := newFixture(t)
	g, err := f.m.Login(f.ctx, session.Login{User: f.user, Scopes: []string{"orders:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Scopes: []string{"orders:read", "orders:write"}}); !errors.Is(err, session.ErrInvalidScope) {
		t.Fatalf("widening: err = %v, want ErrInvalidScope", err)
	}
	g2, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Scopes: []string{}})
	if err != nil {
		t.Fatalf("narrowing (after a refused widening, which must not rotate): %v", err)
	}
	if len(g2.Scopes) != 0 {
		t.Errorf("scopes = %v, want none", g2.Scopes)
	}
	g3 := f.mustRefresh(g2.RefreshToken)
	if gatehouse.FormatScope(g3.Scopes) != "orders:read" {
		t.Errorf("a refresh without scope gets the login scope; got %v", g3.Scopes)
	}
}

func TestRefreshOfADisabledUserIsRefused(t *testing.T) {
	f := newFixture(t)
	g := f.login()
	f.user.Disabled = true
	if err := f.store.UpdateUser(f.ctx, f.user); err != nil {
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

func TestEndUserSessionsEndsEverySession(t *testing.T) {
	f := newFixture(t)
	a, b := f.login(), f.login()
	n, err := f.m.EndUserSessions(f.ctx, f.user.ID, "password changed")
	if err != nil || n != 2 {
		t.Fatalf("ended %d, err %v", n, err)
	}
	for _, g := range []*session.Grant{a, b} {
		if f.authenticates(g.AccessToken) {
			t.Error("access token accepted after all sessions ended")
		}
		if _, err := f.refresh(g.RefreshToken); !errors.Is(err, session.ErrInvalidGrant) {
			t.Errorf("refresh after end: %v", err)
		}
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

func TestKeyRotationIsSeenByEveryKeyring(t *testing.T) {
	f := newFixture(t)
	before := f.login()
	oldKID := f.keys.Signer().Key().ID()
	other, err := session.LoadKeyring(f.ctx, f.store, session.KeyringConfig{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if other.Signer().Key().ID() != oldKID {
		t.Fatal("a second keyring on the same store created its own keys")
	}
	if err := other.Rotate(f.ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.keys.Reload(f.ctx); err != nil {
		t.Fatal(err)
	}
	if f.keys.Signer().Key().ID() == oldKID {
		t.Fatal("rotation not seen after Reload")
	}
	after := f.login()
	if !f.authenticates(before.AccessToken) || !f.authenticates(after.AccessToken) {
		t.Error("tokens of the retired and of the new key must both verify")
	}
	if _, ok := f.keys.KeySet().Key(oldKID); !ok {
		t.Error("retired key not published")
	}
	f.clock.Advance(20 * time.Minute)
	if err := f.keys.Reload(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.keys.KeySet().Key(oldKID); ok {
		t.Error("retired key still published after every token it signed expired")
	}
}

func TestATokenOfAKeyRotatedElsewhereIsAcceptedAtOnce(t *testing.T) {
	f := newFixture(t)
	other, err := session.LoadKeyring(f.ctx, f.store, session.KeyringConfig{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	om, err := session.New(session.Config{Store: f.store, Keyring: other, Issuer: issuer, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// Rotate twice on the other replica: its active key is one f has never seen.
	for range 2 {
		if err := other.Rotate(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	g, err := om.Login(f.ctx, session.Login{User: f.user})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.keys.KeySet().Key(other.Signer().Key().ID()); ok {
		t.Fatal("test setup: f already knows the new key")
	}
	if !f.authenticates(g.AccessToken) {
		t.Fatal("a token signed by a key rotated on another replica was refused")
	}
}

func TestNewRejectsALongGrace(t *testing.T) {
	f := newFixture(t)
	_, err := session.New(session.Config{Store: f.store, Keyring: f.keys, Issuer: issuer, Grace: 2 * time.Minute})
	if err == nil {
		t.Fatal("a grace window over a minute was accepted")
	}
}
