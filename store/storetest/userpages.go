package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func usernames(us []*gatehouse.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Username
	}
	return out
}

// userPageTests: custom claims, pages of users, look-ups by many names and
// imports.
var userPageTests = []test{
	{"custom claims round-trip through CreateUser, UpdateUser and every read", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"admin"`), "tenant": json.RawMessage(`{"id":7,"tags":["a","é"]}`)}
		must(t, "CreateUser", s.CreateUser(ctx, u))
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, u)
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		st, err := s.TokenState(ctx, sess.ID, "", "")
		must(t, "TokenState", err)
		if !equalClaims(st.User.Claims, u.Claims) {
			t.Errorf("TokenState user claims = %s, want %s", st.User.Claims, u.Claims)
		}
		upd := *got
		upd.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"user"`)}
		upd.UpdatedAt = at(time.Hour)
		n, err := s.UpdateUser(ctx, &upd, "claims set")
		must(t, "UpdateUser", err)
		if n != 0 {
			t.Errorf("a claims change ended %d sessions", n)
		}
		got, err = s.UserByUsername(ctx, "alice")
		must(t, "UserByUsername", err)
		checkUser(t, got, &upd)
		upd.Claims = nil
		_, err = s.UpdateUser(ctx, &upd, "claims removed")
		must(t, "UpdateUser", err)
		us, err := s.ListUsers(ctx, "", 0)
		must(t, "ListUsers", err)
		if len(us) != 1 || us[0].Claims != nil {
			t.Errorf("claims after removing them all: %+v, want none", us)
		}
	}},
	{"RotateRefreshToken returns the session's user with its claims, also on a retry", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"admin"`)}
		must(t, "CreateUser", s.CreateUser(ctx, u))
		createSession(t, s, "s1", "u1", at(0))
		res := rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		if res.User == nil || res.User.ID != "u1" || string(res.User.Claims["role"]) != `"admin"` {
			t.Fatalf("rotation's User = %+v, want u1 with its claims", res.User)
		}
		// The claims change; a retry reads them as they are now.
		u.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"user"`)}
		u.UpdatedAt = at(time.Minute)
		_, err := s.UpdateUser(ctx, u, "claims set")
		must(t, "UpdateUser", err)
		retry, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(time.Minute+time.Second)))
		must(t, "RotateRefreshToken (retry)", err)
		if !retry.Retry || retry.User == nil || string(retry.User.Claims["role"]) != `"user"` {
			t.Fatalf("retry = %+v, User %+v; want a retry with the user's current claims", retry, retry.User)
		}
		next := rotate(t, s, "s1/1", "s1/2", at(2*time.Minute))
		if string(next.User.Claims["role"]) != `"user"` || next.User.Version != u.Version {
			t.Errorf("next rotation's User = %+v, want the current user", next.User)
		}
	}},
	{"ListUsers pages in byte order of usernames", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		names := []string{"bob", "alice", "Zed", "émile", "carol", "dave", "eve", "_x", "10", "2"}
		for i, n := range names {
			must(t, "CreateUser", s.CreateUser(ctx, newUser(fmt.Sprintf("u%d", i), n)))
		}
		want := slices.Clone(names)
		slices.Sort(want) // byte order
		var got []string
		after := ""
		for range 10 {
			page, err := s.ListUsers(ctx, after, 3)
			must(t, "ListUsers", err)
			if len(page) > 3 {
				t.Fatalf("a page of %d users, limit 3", len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, usernames(page)...)
			after = page[len(page)-1].Username
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages = %q, want %q", got, want)
		}
		all, err := s.ListUsers(ctx, "carol", 0)
		must(t, "ListUsers", err)
		if !slices.Equal(usernames(all), want[slices.Index(want, "carol")+1:]) {
			t.Errorf("ListUsers after carol, no limit = %q", usernames(all))
		}
	}},
	{"UsersByUsername returns the users that exist, for any number of names", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		var ask []string
		for i := range 1200 {
			ask = append(ask, fmt.Sprintf("name%04d", i))
		}
		must(t, "ImportUsers", func() error {
			var us []*gatehouse.User
			for i := 0; i < 1200; i += 100 {
				us = append(us, newUser(fmt.Sprintf("u%d", i), fmt.Sprintf("name%04d", i)))
			}
			_, err := s.ImportUsers(ctx, us, nil, "import")
			return err
		}())
		got, err := s.UsersByUsername(ctx, append(ask, "Name0000", "nobody"))
		must(t, "UsersByUsername", err)
		names := usernames(got)
		slices.Sort(names)
		var want []string
		for i := 0; i < 1200; i += 100 {
			want = append(want, fmt.Sprintf("name%04d", i))
		}
		if !slices.Equal(names, want) {
			t.Errorf("UsersByUsername = %q, want %q", names, want)
		}
		none, err := s.UsersByUsername(ctx, nil)
		must(t, "UsersByUsername(nil)", err)
		if len(none) != 0 {
			t.Errorf("UsersByUsername(nil) = %d users", len(none))
		}
	}},
	{"ImportUsers creates and updates in one step, ending sessions where the epoch moves", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		keep := newUser("k", "kept")
		must(t, "CreateUser", s.CreateUser(ctx, keep))
		moved := newUser("m", "moved")
		must(t, "CreateUser", s.CreateUser(ctx, moved))
		createSession(t, s, "sk", "k", at(0))
		createSession(t, s, "sm", "m", at(0))

		a, b := newUser("a", "new-a"), newUser("b", "new-b")
		b.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"x"`)}
		b.Disabled = true
		keep.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"kept"`)}
		keep.UpdatedAt = at(time.Minute)
		moved.PasswordHash = "$2b$12$imported"
		moved.UpdatedAt = at(time.Minute)
		moved.Epoch = gatehouse.NextEpoch(at(time.Minute), moved.Epoch)
		n, err := s.ImportUsers(ctx, []*gatehouse.User{a, b}, []*gatehouse.User{keep, moved}, "imported")
		must(t, "ImportUsers", err)
		if n != 1 {
			t.Errorf("ImportUsers ended %d sessions, want 1 (moved's)", n)
		}
		if a.Version != 1 || b.Version != 1 || keep.Version != 2 || moved.Version != 2 {
			t.Errorf("Versions %d %d %d %d, want 1 1 2 2", a.Version, b.Version, keep.Version, moved.Version)
		}
		for _, u := range []*gatehouse.User{a, b, keep, moved} {
			got, err := s.UserByID(ctx, u.ID)
			must(t, "UserByID", err)
			checkUser(t, got, u)
		}
		sk, _ := s.Session(ctx, "sk")
		sm, _ := s.Session(ctx, "sm")
		if !sk.RevokedAt.IsZero() || sm.RevokedAt.IsZero() || sm.RevokeReason != "imported" {
			t.Errorf("sessions after the import: kept revoked %v, moved revoked %v (%q)", sk.RevokedAt, sm.RevokedAt, sm.RevokeReason)
		}
		if got := values(feed(t, s, at(0))); !slices.Equal(got, []string{"sid:sm", "user:m"}) {
			t.Errorf("feed = %q, want moved's session and user entries", got)
		}
	}},
	{"ImportUsers writes nothing when one create is taken or one update is stale", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		old := newUser("o", "old")
		must(t, "CreateUser", s.CreateUser(ctx, old))
		createSession(t, s, "so", "o", at(0))

		// A taken username among many creates.
		var creates []*gatehouse.User
		for i := range 50 {
			creates = append(creates, newUser(fmt.Sprintf("n%d", i), fmt.Sprintf("new%d", i)))
		}
		clash := append(slices.Clone(creates), newUser("n-old", "old"))
		moved := *old
		moved.Epoch, moved.UpdatedAt = gatehouse.NextEpoch(at(time.Hour), old.Epoch), at(time.Hour)
		_, err := s.ImportUsers(ctx, clash, []*gatehouse.User{&moved}, "imported")
		wantErr(t, "ImportUsers with a taken username", err, gatehouse.ErrConflict)
		// Two creates with one name.
		twice := append(slices.Clone(creates[:2]), newUser("n-dup", "new0"))
		_, err = s.ImportUsers(ctx, twice, nil, "imported")
		wantErr(t, "ImportUsers with a name twice", err, gatehouse.ErrConflict)
		// A stale update after good creates.
		stale := *old
		stale.Version = 9
		_, err = s.ImportUsers(ctx, creates, []*gatehouse.User{&stale}, "imported")
		wantErr(t, "ImportUsers with a stale update", err, gatehouse.ErrStale)
		// An update of a user that is gone.
		gone := newUser("gone", "gone")
		gone.Version = 1
		_, err = s.ImportUsers(ctx, creates, []*gatehouse.User{gone}, "imported")
		wantErr(t, "ImportUsers updating a missing user", err, gatehouse.ErrStale)

		us, err := s.ListUsers(ctx, "", 0)
		must(t, "ListUsers", err)
		if len(us) != 1 || us[0].Version != 1 {
			t.Errorf("users after refused imports = %q (version %d), want only old, unchanged", usernames(us), us[0].Version)
		}
		if sess, _ := s.Session(ctx, "so"); !sess.RevokedAt.IsZero() {
			t.Error("a refused import ended a session")
		}
		if rs := feed(t, s, at(0)); len(rs) != 0 {
			t.Errorf("feed after refused imports = %q", values(rs))
		}
		if _, err := s.ImportUsers(ctx, creates, nil, "imported"); err != nil {
			t.Fatalf("the same creates alone: %v", err)
		}
	}},
}
