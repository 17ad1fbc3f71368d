package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func checkUser(t *testing.T, got, want *gatehouse.User) {
	t.Helper()
	if got.ID != want.ID || got.Username != want.Username || got.PasswordHash != want.PasswordHash ||
		!slices.Equal(got.Scopes, want.Scopes) || got.Disabled != want.Disabled {
		t.Errorf("user = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	checkTime(t, "PasswordChangedAt", got.PasswordChangedAt, want.PasswordChangedAt)
}

var userTests = []test{
	{"created user round-trips, times in UTC at microsecond precision", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		zone := time.FixedZone("UTC+5:30", 5*3600+1800)
		u.CreatedAt = time.Date(2031, 1, 2, 3, 4, 5, 987654321, zone)
		u.UpdatedAt = u.CreatedAt.Add(time.Nanosecond)
		u.Disabled = true
		must(t, "CreateUser", s.CreateUser(ctx, u))
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, u)
		got, err = s.UserByUsername(ctx, "alice")
		must(t, "UserByUsername", err)
		checkUser(t, got, u)
	}},
	{"user without scopes round-trips with no scopes", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Scopes = nil
		must(t, "CreateUser", s.CreateUser(ctx, u))
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		if len(got.Scopes) != 0 {
			t.Errorf("Scopes = %q, want none", got.Scopes)
		}
	}},
	{"CreateUser with a taken id is ErrConflict", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		wantErr(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "bob")), gatehouse.ErrConflict)
		if _, err := s.UserByUsername(ctx, "bob"); err == nil {
			t.Error("the refused user was stored")
		}
	}},
	{"CreateUser with a taken username is ErrConflict", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		wantErr(t, "CreateUser", s.CreateUser(ctx, newUser("u2", "alice")), gatehouse.ErrConflict)
		_, err := s.UserByID(ctx, "u2")
		wantErr(t, "UserByID of the refused user", err, gatehouse.ErrNotFound)
	}},
	{"UserByID of an unknown id is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		_, err := s.UserByID(context.Background(), "nobody")
		wantErr(t, "UserByID", err, gatehouse.ErrNotFound)
	}},
	{"UserByUsername is exact (no case folding in the store)", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		for _, name := range []string{"Alice", "ALICE", "alice ", " alice", "alic", ""} {
			_, err := s.UserByUsername(ctx, name)
			wantErr(t, "UserByUsername("+name+")", err, gatehouse.ErrNotFound)
		}
		// Canonical forms are the server's business: the store keeps
		// "Alice" apart from "alice".
		must(t, "CreateUser(Alice)", s.CreateUser(ctx, newUser("u2", "Alice")))
		got, err := s.UserByUsername(ctx, "Alice")
		must(t, "UserByUsername(Alice)", err)
		if got.ID != "u2" {
			t.Errorf("UserByUsername(Alice) = %s, want u2", got.ID)
		}
	}},
	{"ListUsers orders by username", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for i, name := range []string{"carol", "alice", "dave", "bob"} {
			must(t, "CreateUser", s.CreateUser(ctx, newUser("u"+string(rune('1'+i)), name)))
		}
		us, err := s.ListUsers(ctx)
		must(t, "ListUsers", err)
		var names []string
		for _, u := range us {
			names = append(names, u.Username)
		}
		if want := []string{"alice", "bob", "carol", "dave"}; !slices.Equal(names, want) {
			t.Errorf("ListUsers = %q, want %q", names, want)
		}
	}},
	{"ListUsers of an empty store is empty", func(t *testing.T, s gatehouse.Store) {
		us, err := s.ListUsers(context.Background())
		must(t, "ListUsers", err)
		if len(us) != 0 {
			t.Errorf("ListUsers = %d users, want none", len(us))
		}
	}},
	{"UpdateUser writes the mutable fields and keeps the others", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		must(t, "CreateUser", s.CreateUser(ctx, u))
		upd := *u
		upd.Username = "mallory" // not written
		upd.CreatedAt = at(time.Hour)
		upd.PasswordHash = "$2b$12$new"
		upd.Scopes = []string{"admin"}
		upd.Disabled = true
		upd.UpdatedAt = at(2 * time.Hour)
		upd.PasswordChangedAt = at(3 * time.Hour)
		must(t, "UpdateUser", s.UpdateUser(ctx, &upd))
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		want := upd
		want.Username, want.CreatedAt = u.Username, u.CreatedAt
		checkUser(t, got, &want)
		_, err = s.UserByUsername(ctx, "mallory")
		wantErr(t, "UserByUsername(mallory)", err, gatehouse.ErrNotFound)
	}},
	{"UpdateUser of an unknown user is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		wantErr(t, "UpdateUser", s.UpdateUser(context.Background(), newUser("nobody", "nobody")), gatehouse.ErrNotFound)
	}},
	{"DeleteUser removes the user", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u2", "bob")))
		must(t, "DeleteUser", s.DeleteUser(ctx, "u1"))
		_, err := s.UserByID(ctx, "u1")
		wantErr(t, "UserByID", err, gatehouse.ErrNotFound)
		_, err = s.UserByUsername(ctx, "alice")
		wantErr(t, "UserByUsername", err, gatehouse.ErrNotFound)
		_, err = s.UserByID(ctx, "u2")
		must(t, "UserByID of another user", err)
		// The username is free again.
		must(t, "CreateUser again", s.CreateUser(ctx, newUser("u3", "alice")))
	}},
	{"DeleteUser removes its sessions", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u2", "bob")))
		_, h1 := createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(time.Minute))
		rotate(t, s, "s2/0", "s2/1", at(2*time.Minute))
		_, h3 := createSession(t, s, "s3", "u2", at(0))
		must(t, "DeleteUser", s.DeleteUser(ctx, "u1"))
		for _, id := range []string{"s1", "s2"} {
			_, err := s.Session(ctx, id)
			wantErr(t, "Session("+id+")", err, gatehouse.ErrNotFound)
		}
		for _, h := range [][]byte{h1, hash("s2/0"), hash("s2/1")} {
			_, err := s.SessionByRefreshHash(ctx, h)
			wantErr(t, "SessionByRefreshHash of a deleted session's token", err, gatehouse.ErrNotFound)
		}
		_, err := s.RotateRefreshToken(ctx, rotation("s2/1", "s2/2", at(3*time.Minute)))
		wantErr(t, "RotateRefreshToken of a deleted session's token", err, gatehouse.ErrNotFound)
		if _, err := s.SessionByRefreshHash(ctx, h3); err != nil {
			t.Errorf("another user's session is gone: %v", err)
		}
	}},
	{"DeleteUser of an unknown user is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		wantErr(t, "DeleteUser", s.DeleteUser(ctx, "nobody"), gatehouse.ErrNotFound)
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		must(t, "DeleteUser", s.DeleteUser(ctx, "u1"))
		wantErr(t, "DeleteUser twice", s.DeleteUser(ctx, "u1"), gatehouse.ErrNotFound)
	}},
}
