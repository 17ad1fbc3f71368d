package postgres

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func TestUsersRoundTripAndConflicts(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	u := &gatehouse.User{ID: "u1", Username: "bob", PasswordHash: "$argon2id$x", Scopes: []string{"a", "b"},
		CreatedAt: t0, UpdatedAt: t0, PasswordChangedAt: t0.Add(123456 * time.Nanosecond)}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []*gatehouse.User{{ID: "u1", Username: "other"}, {ID: "u2", Username: "bob"}} {
		if err := s.CreateUser(ctx, dup); !errors.Is(err, gatehouse.ErrConflict) {
			t.Errorf("duplicate %+v: err = %v, want ErrConflict", dup, err)
		}
	}
	got, err := s.UserByUsername(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	want := *u
	want.PasswordChangedAt = u.PasswordChangedAt.Truncate(time.Microsecond)
	if !reflect.DeepEqual(*got, want) || got.Version != 1 || !got.Epoch.IsZero() {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
	if _, err := s.UpdateUser(ctx, &gatehouse.User{ID: "nobody", Version: 1}, "x"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("update absent: err = %v, want ErrNotFound", err)
	}
	newSession(t, s, "of-u1")
	if _, err := s.DeleteUser(ctx, "u1", "deleted", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "of-u1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("session of a deleted user: err = %v, want ErrNotFound", err)
	}
	if _, err := s.DeleteUser(ctx, "u1", "deleted", t0.Add(time.Minute)); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("delete twice: err = %v, want ErrNotFound", err)
	}
}

func TestSessionsRoundTripAndListing(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	first := newSession(t, s, "a")
	got, err := s.SessionByRefreshHash(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	want := &gatehouse.Session{ID: "a", UserID: "u1", ClientID: gatehouse.FirstPartyClientID, Scopes: []string{"read", "write"},
		AuthTime: t0, CreatedAt: t0, LastUsedAt: t0, IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
		FamilyHash: got.FamilyHash, AccessExpiresAt: t0.Add(15 * time.Minute)}
	if !reflect.DeepEqual(got, want) || len(got.FamilyHash) != 32 {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	newSession(t, s, "b")
	if _, err := s.RotateRefreshToken(ctx, rotation(first, t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	newSession(t, s, "c")
	if err := s.RevokeSession(ctx, "c", "logout", t0); err != nil {
		t.Fatal(err)
	}
	ss, err := s.ListSessions(ctx, "u1", t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].ID != "a" || ss[1].ID != "b" {
		t.Fatalf("listed %v, want a (used last) then b", ss)
	}
	u, err := s.UserByID(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	u.Epoch, u.UpdatedAt = gatehouse.NextEpoch(t0.Add(3*time.Minute), u.Epoch), t0.Add(3*time.Minute)
	if n, err := s.UpdateUser(ctx, u, "all"); err != nil || n != 2 {
		t.Fatalf("UpdateUser moving the epoch = %d, %v; want 2", n, err)
	}
	for _, sid := range []string{"a", "b", "c"} {
		if ok, err := s.IsRevoked(ctx, "", sid); err != nil || !ok {
			t.Errorf("sid %s revoked = %v, %v", sid, ok, err)
		}
	}
	if err := s.RevokeSession(ctx, "nope", "x", t0); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("revoke absent: err = %v, want ErrNotFound", err)
	}
}

func TestEventsNewestFirstAndPaged(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for i, user := range []string{"u1", "u2", "u1", "u1"} {
		e := &gatehouse.Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: gatehouse.EventLoginOK, UserID: user}
		if err := s.RecordEvent(ctx, e); err != nil || e.ID == 0 {
			t.Fatalf("record: id %d, %v", e.ID, err)
		}
	}
	es, err := s.Events(ctx, "u1", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].ID <= es[1].ID {
		t.Fatalf("got %+v, want two events newest first", es)
	}
	older, err := s.Events(ctx, "u1", es[1].ID, 10)
	if err != nil || len(older) != 1 {
		t.Fatalf("page before %d: %v, %v", es[1].ID, older, err)
	}
}

func TestPoolSizeDefaultsUnlessTheURLSetsIt(t *testing.T) {
	u := newSchema(t)
	s := openURL(t, u)
	if got := s.pool.Config().MaxConns; got != DefaultPoolSize() {
		t.Errorf("pool size without pool_max_conns = %d, want %d", got, DefaultPoolSize())
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	s = openURL(t, u+sep+"pool_max_conns=3")
	if got := s.pool.Config().MaxConns; got != 3 {
		t.Errorf("pool size with pool_max_conns=3 = %d, want 3", got)
	}
}
