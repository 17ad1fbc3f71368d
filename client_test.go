package gatehouse_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func TestValidClientID(t *testing.T) {
	for _, id := range []string{"orders-api", "my-spa", "a", "svc.billing_v2~x", "0day", strings.Repeat("a", 64)} {
		if err := gatehouse.ValidClientID(id); err != nil {
			t.Errorf("%q refused: %v", id, err)
		}
	}
	for _, id := range []string{"", "gatehouse", "-x", ".x", "a b", "a:b", "a/b", "a%20", "é", strings.Repeat("a", 65), "a\x00"} {
		if err := gatehouse.ValidClientID(id); !errors.Is(err, gatehouse.ErrInvalidClientID) {
			t.Errorf("%q: %v, want ErrInvalidClientID", id, err)
		}
	}
}

func TestNextClientEpochIsAWholeSecondAfterNowAndTheCurrentOne(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 5, 300_000_000, time.UTC)
	if got := gatehouse.NextClientEpoch(now, &gatehouse.Client{}); !got.Equal(now.Truncate(time.Second).Add(time.Second)) {
		t.Errorf("NextClientEpoch = %v", got)
	}
	cur := now.Add(3 * time.Second).Truncate(time.Second)
	if got := gatehouse.NextClientEpoch(now, &gatehouse.Client{Epoch: cur}); !got.Equal(cur.Add(time.Second)) {
		t.Errorf("NextClientEpoch after a later epoch = %v, want %v", got, cur.Add(time.Second))
	}
	if got := gatehouse.NextClientEpoch(now, &gatehouse.Client{Epoch: cur, AccessIssuedAt: cur.Add(time.Second)}); !got.Equal(cur.Add(2 * time.Second)) {
		t.Errorf("NextClientEpoch after a token issued later = %v, want %v", got, cur.Add(2*time.Second))
	}
	exact := now.Truncate(time.Second)
	if got := gatehouse.NextClientEpoch(exact, &gatehouse.Client{}); !got.After(exact) {
		t.Errorf("NextClientEpoch(%v) = %v: a token of that very second would survive", exact, got)
	}
}

func TestClientTokenValid(t *testing.T) {
	epoch := time.Date(2030, 1, 1, 0, 0, 10, 0, time.UTC)
	cl := &gatehouse.Client{ID: "svc", SecretHash: "$gh-sha256$x", Epoch: epoch}
	tok := func(iat time.Time) *gatehouse.Claims {
		return &gatehouse.Claims{Subject: "svc", ClientID: "svc", IssuedAt: iat}
	}
	if !gatehouse.ClientTokenValid(cl, tok(epoch)) {
		t.Error("a token issued at the epoch is refused")
	}
	for name, c := range map[string]*gatehouse.Claims{
		"issued before the epoch": tok(epoch.Add(-time.Second)),
		"with a session":          {Subject: "svc", ClientID: "svc", SessionID: "s", IssuedAt: epoch},
		"of another subject":      {Subject: "u1", ClientID: "svc", IssuedAt: epoch},
		"of another client":       {Subject: "svc", ClientID: "other", IssuedAt: epoch},
	} {
		if gatehouse.ClientTokenValid(cl, c) {
			t.Errorf("a token %s is valid", name)
		}
	}
	pub := *cl
	pub.Public = true
	if gatehouse.ClientTokenValid(&pub, tok(epoch)) || gatehouse.ClientTokenValid(nil, tok(epoch)) {
		t.Error("a token of a public or missing client is valid")
	}
}

func TestScopesBoundByAClient(t *testing.T) {
	user := []string{"a", "b", gatehouse.AdminScope}
	if got := gatehouse.BoundByClient(user, nil); !slices.Equal(got, user) {
		t.Errorf("no bound: %q", got)
	}
	if got := gatehouse.BoundByClient(user, []string{"b", "c", gatehouse.AdminScope}); !slices.Equal(got, []string{"b", gatehouse.AdminScope}) {
		t.Errorf("bounded: %q", got)
	}
}

func TestGrantClientScopes(t *testing.T) {
	own := []string{"orders:read", "orders:write", gatehouse.AdminScope}
	if got, err := gatehouse.GrantClientScopes(nil, own); err != nil || !slices.Equal(got, []string{"orders:read", "orders:write"}) {
		t.Errorf("default = %q, %v; want the client's scopes but admin", got, err)
	}
	if got, err := gatehouse.GrantClientScopes([]string{"orders:read"}, own); err != nil || !slices.Equal(got, []string{"orders:read"}) {
		t.Errorf("narrower = %q, %v", got, err)
	}
	for _, req := range [][]string{{"orders:delete"}, {gatehouse.AdminScope}, {"orders:read", "x"}} {
		if _, err := gatehouse.GrantClientScopes(req, own); !errors.Is(err, gatehouse.ErrInvalidScope) {
			t.Errorf("%q: %v, want ErrInvalidScope", req, err)
		}
	}
	if got, err := gatehouse.GrantClientScopes(nil, nil); err != nil || len(got) != 0 {
		t.Errorf("a client without scopes: %q, %v", got, err)
	}
}
