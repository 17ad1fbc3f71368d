package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func checkClient(t *testing.T, got, want *gatehouse.Client) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.SecretHash != want.SecretHash || got.Public != want.Public ||
		!slices.Equal(got.Scopes, want.Scopes) || !slices.Equal(got.Audience, want.Audience) || got.AccessTTL != want.AccessTTL {
		t.Errorf("client = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "Epoch", got.Epoch, want.Epoch)
	checkTime(t, "AccessIssuedAt", got.AccessIssuedAt, want.AccessIssuedAt)
	checkTime(t, "AccessExpiresAt", got.AccessExpiresAt, want.AccessExpiresAt)
}

func newClient(id, name string) *gatehouse.Client {
	return &gatehouse.Client{ID: id, Name: name, SecretHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$c2VjcmV0", CreatedAt: at(0)}
}

var clientTests = []test{
	{"created clients round-trip, confidential and public", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		conf := newClient("c1", "orders-api")
		conf.CreatedAt = at(time.Second + 999*time.Nanosecond)
		pub := &gatehouse.Client{ID: "c2", Name: "mobile", Public: true, CreatedAt: at(time.Minute)}
		for _, c := range []*gatehouse.Client{conf, pub} {
			must(t, "CreateClient", s.CreateClient(ctx, c))
			got, err := s.ClientByID(ctx, c.ID)
			must(t, "ClientByID", err)
			checkClient(t, got, c)
		}
	}},
	{"a client's scopes, audience, lifetime, epoch and token expiry round-trip", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		c := newClient("orders-api", "orders")
		c.Scopes = []string{"orders:read", "orders:write"}
		c.Audience = []string{"https://orders.example", "billing"}
		c.AccessTTL = 5*time.Minute + 1500*time.Microsecond
		c.Epoch = at(-time.Hour).Truncate(time.Second)
		c.AccessIssuedAt = at(time.Second).Truncate(time.Second)
		c.AccessExpiresAt = at(time.Minute)
		must(t, "CreateClient", s.CreateClient(ctx, c))
		got, err := s.ClientByID(ctx, c.ID)
		must(t, "ClientByID", err)
		checkClient(t, got, c)
		cs, err := s.ListClients(ctx)
		must(t, "ListClients", err)
		if len(cs) != 1 {
			t.Fatalf("ListClients = %d clients", len(cs))
		}
		checkClient(t, cs[0], c)
	}},
	{"CreateClient with a user's id is ErrConflict", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		wantErr(t, "CreateClient", s.CreateClient(ctx, newClient("u1", "impostor")), gatehouse.ErrConflict)
		_, err := s.ClientByID(ctx, "u1")
		wantErr(t, "ClientByID", err, gatehouse.ErrNotFound)
	}},
	{"CreateClient with a taken id is ErrConflict", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c1", "a")))
		wantErr(t, "CreateClient", s.CreateClient(ctx, newClient("c1", "b")), gatehouse.ErrConflict)
		got, err := s.ClientByID(ctx, "c1")
		must(t, "ClientByID", err)
		if got.Name != "a" {
			t.Errorf("Name = %q, want the first client's", got.Name)
		}
	}},
	{"ClientByID of an unknown id is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		_, err := s.ClientByID(context.Background(), "nobody")
		wantErr(t, "ClientByID", err, gatehouse.ErrNotFound)
	}},
	{"ListClients orders by name", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c1", "reports")))
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c2", "billing")))
		must(t, "CreateClient", s.CreateClient(ctx, newClient("c3", "orders")))
		cs, err := s.ListClients(ctx)
		must(t, "ListClients", err)
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		if want := []string{"billing", "orders", "reports"}; !slices.Equal(names, want) {
			t.Errorf("ListClients = %q, want %q", names, want)
		}
	}},
	{"RotateClientSecret replaces the secret, moves the epoch and revokes the client's own tokens", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		c := newClient("svc", "service")
		must(t, "CreateClient", s.CreateClient(ctx, c))
		must(t, "RecordClientToken", s.RecordClientToken(ctx, "svc", time.Time{}, at(time.Minute).Truncate(time.Second), at(15*time.Minute)))
		epoch := at(time.Minute).Truncate(time.Second)
		// Not after the iat of a recorded token: refused.
		wantErr(t, "RotateClientSecret (epoch at a recorded iat)", s.RotateClientSecret(ctx, "svc", "$gh-sha256$new", epoch), gatehouse.ErrStale)
		epoch = epoch.Add(time.Second)
		must(t, "RotateClientSecret", s.RotateClientSecret(ctx, "svc", "$gh-sha256$new", epoch))
		got, err := s.ClientByID(ctx, "svc")
		must(t, "ClientByID", err)
		if got.SecretHash != "$gh-sha256$new" || !got.Epoch.Equal(epoch) {
			t.Errorf("after rotation: hash %q, epoch %v; want the new ones", got.SecretHash, got.Epoch)
		}
		rs := feed(t, s, at(0))
		if len(rs) != 1 || rs[0].Kind != gatehouse.RevokeUser || rs[0].Value != "svc" || !rs[0].Time.Equal(epoch) {
			t.Fatalf("feed = %+v, want one user entry for svc at the epoch", rs)
		}
		checkTime(t, "ForgetAt", rs[0].ForgetAt, gatehouse.ForgetAt(epoch, at(15*time.Minute)))
		// An epoch that does not move forward writes nothing.
		wantErr(t, "RotateClientSecret (same epoch)", s.RotateClientSecret(ctx, "svc", "$gh-sha256$other", epoch), gatehouse.ErrStale)
		got, _ = s.ClientByID(ctx, "svc")
		if got.SecretHash != "$gh-sha256$new" {
			t.Errorf("a stale rotation wrote the secret %q", got.SecretHash)
		}
		// A second rotation replaces the entry with a new cursor, never
		// forgettable earlier.
		must(t, "RotateClientSecret", s.RotateClientSecret(ctx, "svc", "$gh-sha256$third", epoch.Add(time.Second)))
		rs2 := feed(t, s, at(0))
		if len(rs2) != 1 || rs2[0].Cursor <= rs[0].Cursor || rs2[0].ForgetAt.Before(rs[0].ForgetAt) {
			t.Errorf("feed after a second rotation = %+v, want one entry with a later cursor, forgettable no earlier", rs2)
		}
		wantErr(t, "RotateClientSecret (unknown)", s.RotateClientSecret(ctx, "nobody", "x", epoch), gatehouse.ErrNotFound)
	}},
	{"RecordClientToken raises iat and expiry only in the epoch it was read in", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateClient", s.CreateClient(ctx, newClient("svc", "service")))
		iat := at(0).Truncate(time.Second)
		must(t, "RecordClientToken", s.RecordClientToken(ctx, "svc", time.Time{}, iat, at(time.Hour)))
		must(t, "RecordClientToken (earlier)", s.RecordClientToken(ctx, "svc", time.Time{}, iat.Add(-time.Second), at(time.Minute)))
		got, _ := s.ClientByID(ctx, "svc")
		checkTime(t, "AccessIssuedAt", got.AccessIssuedAt, iat)
		checkTime(t, "AccessExpiresAt", got.AccessExpiresAt, at(time.Hour))
		must(t, "RotateClientSecret", s.RotateClientSecret(ctx, "svc", "$gh-sha256$new", iat.Add(time.Second)))
		wantErr(t, "RecordClientToken in the old epoch", s.RecordClientToken(ctx, "svc", time.Time{}, iat.Add(time.Hour), at(2*time.Hour)), gatehouse.ErrStale)
		got, _ = s.ClientByID(ctx, "svc")
		checkTime(t, "AccessIssuedAt", got.AccessIssuedAt, iat)
		checkTime(t, "AccessExpiresAt", got.AccessExpiresAt, at(time.Hour))
		wantErr(t, "RecordClientToken (unknown)", s.RecordClientToken(ctx, "nobody", time.Time{}, iat, at(0)), gatehouse.ErrNotFound)
	}},
	{"DeleteClient removes it, ends its sessions and revokes its own tokens", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateClient", s.CreateClient(ctx, newClient("app", "app")))
		must(t, "RecordClientToken", s.RecordClientToken(ctx, "app", time.Time{}, at(0).Truncate(time.Second), at(10*time.Minute)))
		mine, first := newSession("mine", "u1", at(0))
		mine.ClientID = "app"
		storeSession(t, s, mine, first)
		ended, first2 := newSession("ended", "u1", at(0))
		ended.ClientID = "app"
		storeSession(t, s, ended, first2)
		must(t, "RevokeSession", s.RevokeSession(ctx, "ended", "logout", at(time.Second)))
		createSession(t, s, "other", "u1", at(0)) // the first-party client's
		before := len(feed(t, s, at(0)))

		_, err := s.DeleteClient(ctx, "app", "client deleted", at(time.Minute), at(0).Truncate(time.Second))
		wantErr(t, "DeleteClient with an epoch at a recorded iat", err, gatehouse.ErrStale)
		if got, _ := s.Session(ctx, "mine"); !got.RevokedAt.IsZero() {
			t.Fatal("a refused DeleteClient ended a session")
		}
		epoch := at(time.Minute).Truncate(time.Second).Add(time.Second)
		n, err := s.DeleteClient(ctx, "app", "client deleted", at(time.Minute), epoch)
		must(t, "DeleteClient", err)
		if n != 1 {
			t.Errorf("DeleteClient ended %d sessions, want 1", n)
		}
		_, err = s.ClientByID(ctx, "app")
		wantErr(t, "ClientByID after DeleteClient", err, gatehouse.ErrNotFound)
		got, _ := s.Session(ctx, "mine")
		if !got.RevokedAt.Equal(at(time.Minute)) || got.RevokeReason != "client deleted" {
			t.Errorf("the client's session: revoked %v (%q)", got.RevokedAt, got.RevokeReason)
		}
		if got, _ := s.Session(ctx, "ended"); got.RevokeReason != "logout" {
			t.Errorf("an already ended session was revoked again: %q", got.RevokeReason)
		}
		if got, _ := s.Session(ctx, "other"); !got.RevokedAt.IsZero() {
			t.Error("another client's session was ended")
		}
		rs := feed(t, s, at(0))
		if got := values(rs[before:]); !slices.Equal(got, []string{"sid:mine", "user:app"}) {
			t.Errorf("new feed entries = %q, want the session's and the client's", got)
		}
		last := rs[len(rs)-1]
		if !last.Time.Equal(epoch) {
			t.Errorf("client entry Time = %v, want %v", last.Time, epoch)
		}
		checkTime(t, "ForgetAt", last.ForgetAt, gatehouse.ForgetAt(at(time.Minute), at(10*time.Minute)))
		_, err = s.DeleteClient(ctx, "app", "again", at(time.Hour), epoch)
		wantErr(t, "DeleteClient (again)", err, gatehouse.ErrNotFound)
	}},
}
