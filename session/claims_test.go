package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/internal/testserver"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/session"
)

func TestAccessTokensCarryTheUsersClaimsAndAChangeReachesTheNextRefresh(t *testing.T) {
	f := newFixture(t)
	f.user.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"admin"`), "tenant": json.RawMessage(`{"id":7}`)}
	if _, err := f.store.UpdateUser(f.ctx, f.user, ""); err != nil {
		t.Fatal(err)
	}
	g := f.login()
	var got struct {
		Role   string `json:"role"`
		Tenant struct {
			ID int `json:"id"`
		} `json:"tenant"`
	}
	c, err := f.m.Authenticate(f.ctx, g.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DecodeCustom(&got); err != nil || got.Role != "admin" || got.Tenant.ID != 7 {
		t.Fatalf("login token custom claims %+v (%v), want role admin and tenant 7", got, err)
	}
	if c.Username != "" {
		t.Errorf("preferred_username %q without the option", c.Username)
	}

	f.user.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"user"`)}
	if _, err := f.store.UpdateUser(f.ctx, f.user, ""); err != nil {
		t.Fatal(err)
	}
	// The old token still says admin (it is signed), and still works: a
	// change of claims moves no epoch.
	if !f.authenticates(g.AccessToken) {
		t.Fatal("a claims change ended the session")
	}
	g2 := f.mustRefresh(g.RefreshToken)
	c2, err := f.m.Authenticate(f.ctx, g2.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	var role string
	if err := c2.Custom("role", &role); err != nil || role != "user" {
		t.Fatalf("refreshed token role = %q (%v), want the new claim", role, err)
	}
	if _, ok := c2.Extra["tenant"]; ok {
		t.Error("a removed claim is still in the refreshed token")
	}
	// A retry of the same refresh token within the grace window carries
	// the claims as they are at the retry.
	f.user.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"auditor"`)}
	if _, err := f.store.UpdateUser(f.ctx, f.user, ""); err != nil {
		t.Fatal(err)
	}
	retry := f.mustRefresh(g.RefreshToken)
	c3, err := f.m.Authenticate(f.ctx, retry.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := c3.Custom("role", &role); err != nil || role != "auditor" || retry.RefreshToken != g2.RefreshToken {
		t.Fatalf("retry: role %q (%v), same successor %v", role, err, retry.RefreshToken == g2.RefreshToken)
	}
}

func TestPreferredUsernameOnlyWithTheOption(t *testing.T) {
	s := testserver.New(t, testserver.Options{Session: func(c *session.Config) { c.PreferredUsername = true }})
	u := s.AddUser("José", "correct horse battery staple")
	g, err := s.Sessions.Login(s.Ctx, session.Login{User: u})
	if err != nil {
		t.Fatal(err)
	}
	if g.Claims.Username != "josé" {
		t.Fatalf("preferred_username %q, want the canonical name", g.Claims.Username)
	}
	g2, err := s.Sessions.Refresh(s.Ctx, session.Refresh{Token: g.RefreshToken})
	if err != nil || g2.Claims.Username != "josé" {
		t.Fatalf("refreshed preferred_username %q, %v", g2.Claims.Username, err)
	}
}

func TestStoredClaimsThatNoLongerSignAreLeftOutRatherThanLockingTheUserOut(t *testing.T) {
	f := newFixture(t)
	// Written behind the account service's back, as a name reserved by a
	// later version would be.
	f.user.Claims = map[string]json.RawMessage{"acr": json.RawMessage(`"gold"`), "role": json.RawMessage(`"x"`)}
	if _, err := f.store.UpdateUser(f.ctx, f.user, ""); err != nil {
		t.Fatal(err)
	}
	g := f.login()
	if len(g.Claims.Extra) != 0 {
		t.Fatalf("claims %v minted; want none once they fail to sign", g.Claims.Extra)
	}
}

func TestAClientBoundsScopesAudienceAndLifetime(t *testing.T) {
	f := newFixture(t)
	spa := &gatehouse.Client{ID: "spa", Public: true, Scopes: []string{"orders:read", "other"},
		Audience: []string{"https://orders.example"}, AccessTTL: 5 * time.Minute}
	if err := f.store.CreateClient(f.ctx, spa); err != nil {
		t.Fatal(err)
	}
	// The default scope: the user's scopes the client allows.
	g, err := f.m.Login(f.ctx, session.Login{User: f.user, Client: spa})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Scopes, []string{"orders:read"}) || g.Claims.ClientID != "spa" {
		t.Fatalf("scopes %q client %q, want orders:read through spa", g.Scopes, g.Claims.ClientID)
	}
	if !slices.Equal(g.Claims.Audience, []string{"https://orders.example", issuer}) {
		t.Errorf("aud = %q, want the client's then the server's", g.Claims.Audience)
	}
	if g.ExpiresIn != 5*time.Minute {
		t.Errorf("expires_in %v, want the client's 5m", g.ExpiresIn)
	}
	// A scope the user has and the client does not allow.
	if _, err := f.m.Login(f.ctx, session.Login{User: f.user, Client: spa, Scopes: []string{"orders:write"}}); !errors.Is(err, session.ErrInvalidScope) {
		t.Fatalf("orders:write through spa: %v, want ErrInvalidScope", err)
	}
	// Refresh: the same bound, and only with the same client.
	if _, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Client: spa, Scopes: []string{"orders:write"}}); !errors.Is(err, session.ErrInvalidScope) {
		t.Fatalf("refresh asking orders:write: %v", err)
	}
	if _, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken}); !errors.Is(err, session.ErrInvalidGrant) {
		t.Fatalf("refresh through the first-party client: %v, want ErrInvalidGrant", err)
	}
	g2, err := f.m.Refresh(f.ctx, session.Refresh{Token: g.RefreshToken, Client: spa})
	if err != nil || !slices.Equal(g2.Scopes, []string{"orders:read"}) || g2.ExpiresIn != 5*time.Minute {
		t.Fatalf("refresh: %v scopes %q expires_in %v", err, g2.Scopes, g2.ExpiresIn)
	}
	// A client lifetime beyond the server's is the server's.
	long := &gatehouse.Client{ID: "long", Public: true, AccessTTL: 2 * time.Hour}
	g3, err := f.m.Login(f.ctx, session.Login{User: f.user, Client: long})
	if err != nil || g3.ExpiresIn != 15*time.Minute {
		t.Fatalf("a 2h client: expires_in %v, %v; want the server's 15m", g3.ExpiresIn, err)
	}
}

// confidential registers a confidential client with scopes and returns it
// as the store has it.
func (f *fixture) confidential(id string, scopes ...string) *gatehouse.Client {
	f.t.Helper()
	c := &gatehouse.Client{ID: id, Name: id, SecretHash: password.SecretHash("s3cret"), Scopes: scopes, CreatedAt: f.clock.Now()}
	if err := f.store.CreateClient(f.ctx, c); err != nil {
		f.t.Fatal(err)
	}
	got, err := f.store.ClientByID(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

func TestClientCredentialsMintsAClientsOwnToken(t *testing.T) {
	f := newFixture(t)
	svc := f.confidential("orders-api", "orders:read", "orders:write", gatehouse.AdminScope)
	g, err := f.m.ClientCredentials(f.ctx, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Claims
	if c.Subject != "orders-api" || c.ClientID != "orders-api" || c.SessionID != "" || !c.AuthTime.IsZero() ||
		g.RefreshToken != "" || g.Session != nil {
		t.Fatalf("claims %+v, refresh %q; want sub = client_id, no sid, no auth_time, no refresh token", c, g.RefreshToken)
	}
	if !slices.Equal(g.Scopes, []string{"orders:read", "orders:write"}) {
		t.Errorf("scope %q, want the client's without gatehouse:admin", g.Scopes)
	}
	tok, err := f.m.Check(f.ctx, g.AccessToken)
	if err != nil || tok.Client == nil || tok.User != nil {
		t.Fatalf("Check = %+v, %v; want a client's token", tok, err)
	}
	// Not a user's: the server's user routes refuse it.
	if _, _, err := f.m.AuthenticateUser(f.ctx, g.AccessToken); !errors.Is(err, session.ErrInvalidToken) {
		t.Fatalf("AuthenticateUser of a client token: %v", err)
	}
	for _, req := range [][]string{{"orders:delete"}, {gatehouse.AdminScope}} {
		if _, err := f.m.ClientCredentials(f.ctx, svc, req); !errors.Is(err, session.ErrInvalidScope) {
			t.Errorf("asking %q: %v, want ErrInvalidScope", req, err)
		}
	}
	pub := &gatehouse.Client{ID: "spa", Public: true}
	if _, err := f.m.ClientCredentials(f.ctx, pub, nil); !errors.Is(err, session.ErrUnauthorizedClient) {
		t.Errorf("a public client: %v, want ErrUnauthorizedClient", err)
	}
	got, _ := f.store.ClientByID(f.ctx, "orders-api")
	if !got.AccessExpiresAt.Equal(c.ExpiresAt) || !got.AccessIssuedAt.Equal(c.IssuedAt) {
		t.Errorf("recorded iat %v exp %v, want the token's %v %v", got.AccessIssuedAt, got.AccessExpiresAt, c.IssuedAt, c.ExpiresAt)
	}
}

func TestARotatedSecretRevokesTheClientsTokensAndOneCheckedBeforeItGetsNothing(t *testing.T) {
	f := newFixture(t)
	svc := f.confidential("svc", "a")
	old, err := f.m.ClientCredentials(f.ctx, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The secret is rotated after svc (as read) was authenticated.
	epoch := gatehouse.NextClientEpoch(f.clock.Now(), svc)
	if err := f.store.RotateClientSecret(f.ctx, "svc", password.SecretHash("new"), epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Check(f.ctx, old.AccessToken); !errors.Is(err, session.ErrInvalidToken) {
		t.Fatalf("a token of before the rotation: %v, want refused", err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.m.ClientCredentials(f.ctx, svc, nil); !errors.Is(err, session.ErrInvalidClient) {
		t.Fatalf("a grant checked against the old secret: %v, want ErrInvalidClient", err)
	}
	fresh, _ := f.store.ClientByID(f.ctx, "svc")
	g, err := f.m.ClientCredentials(f.ctx, fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Check(f.ctx, g.AccessToken); err != nil {
		t.Fatalf("a token of after the rotation: %v", err)
	}
	// Deleting the client revokes it too.
	if _, err := f.store.DeleteClient(f.ctx, "svc", "deleted", f.clock.Now(), gatehouse.NextClientEpoch(f.clock.Now(), fresh)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Check(f.ctx, g.AccessToken); !errors.Is(err, session.ErrInvalidToken) {
		t.Fatalf("a token of a deleted client: %v", err)
	}
}

func TestClientCredentialsWaitsForTheEpochARotationSetAhead(t *testing.T) {
	f := newFixture(t)
	svc := f.confidential("svc", "a")
	now := f.clock.Now()
	f.clock.Advance(now.Truncate(time.Second).Add(time.Second + 500*time.Millisecond).Sub(now))
	epoch := gatehouse.NextClientEpoch(f.clock.Now(), svc) // half a second ahead
	if err := f.store.RotateClientSecret(f.ctx, "svc", password.SecretHash("new"), epoch); err != nil {
		t.Fatal(err)
	}
	svc, _ = f.store.ClientByID(f.ctx, "svc")
	// The test clock does not move by itself: the grant waits half a
	// second, finds the clock still behind and refuses rather than mint a
	// token revoked at birth.
	if _, err := f.m.ClientCredentials(f.ctx, svc, nil); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("with the clock behind the epoch: %v, want ErrUnavailable", err)
	}
	// The clock reaches the epoch while (or before) a grant waits.
	done := make(chan error, 1)
	var g *session.Grant
	go func() {
		var err error
		g, err = f.m.ClientCredentials(f.ctx, svc, nil)
		done <- err
	}()
	f.clock.Advance(epoch.Sub(f.clock.Now()))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if g.Claims.IssuedAt.Before(epoch) {
		t.Fatalf("iat %v before the epoch %v", g.Claims.IssuedAt, epoch)
	}
	if _, err := f.m.Check(f.ctx, g.AccessToken); err != nil {
		t.Fatalf("the token minted at the epoch: %v", err)
	}
	// An epoch far ahead (another process's clock) is refused at once.
	far := f.clock.Now().Add(10 * time.Second).Truncate(time.Second)
	if err := f.store.RotateClientSecret(f.ctx, "svc", password.SecretHash("newer"), far); err != nil {
		t.Fatal(err)
	}
	svc, _ = f.store.ClientByID(f.ctx, "svc")
	ctx, cancel := context.WithTimeout(f.ctx, time.Second)
	defer cancel()
	if _, err := f.m.ClientCredentials(ctx, svc, nil); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("epoch 10s ahead: %v, want ErrUnavailable", err)
	}
}
