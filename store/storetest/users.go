package storetest

import (
	"context"
	"encoding/json"
	"maps"
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
	if !equalClaims(got.Claims, want.Claims) {
		t.Errorf("user %s Claims = %s, want %s", want.ID, got.Claims, want.Claims)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	checkTime(t, "PasswordChangedAt", got.PasswordChangedAt, want.PasswordChangedAt)
	checkTime(t, "Epoch", got.Epoch, want.Epoch)
	if got.Version != want.Version {
		t.Errorf("user %s Version = %d, want %d", want.ID, got.Version, want.Version)
	}
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
		if u.Version != 1 {
			t.Errorf("CreateUser set Version %d, want 1", u.Version)
		}
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
		us, err := s.ListUsers(ctx, "", 0)
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
		us, err := s.ListUsers(context.Background(), "", 0)
		must(t, "ListUsers", err)
		if len(us) != 0 {
			t.Errorf("ListUsers = %d users, want none", len(us))
		}
	}},
	{"a user's Epoch round-trips, the zero epoch as zero", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		fresh := newUser("u1", "alice")
		imported := newUser("u2", "bob")
		imported.Epoch = at(-time.Hour)
		for _, u := range []*gatehouse.User{fresh, imported} {
			must(t, "CreateUser", s.CreateUser(ctx, u))
			got, err := s.UserByID(ctx, u.ID)
			must(t, "UserByID", err)
			checkUser(t, got, u)
		}
	}},
	{"ListUsers and UserByID return Version and Epoch", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u2", "bob")))
		moved, _ := moveEpoch(t, s, "u2", "logout everywhere", at(time.Hour))
		us, err := s.ListUsers(ctx, "", 0)
		must(t, "ListUsers", err)
		if len(us) != 2 {
			t.Fatalf("ListUsers = %d users, want 2", len(us))
		}
		alice := newUser("u1", "alice")
		alice.Version = 1
		checkUser(t, us[0], alice)
		checkUser(t, us[1], moved)
		got, err := s.UserByID(ctx, "u2")
		must(t, "UserByID", err)
		checkUser(t, got, moved)
		got, err = s.UserByUsername(ctx, "bob")
		must(t, "UserByUsername", err)
		checkUser(t, got, moved)
	}},
	{"UpdateUser writes the mutable fields, keeps the others and moves Version by one", func(t *testing.T, s gatehouse.Store) {
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
		n, err := s.UpdateUser(ctx, &upd, "admin edit")
		must(t, "UpdateUser", err)
		if n != 0 || upd.Version != 2 {
			t.Errorf("UpdateUser = %d ended, Version %d; want 0 and 2", n, upd.Version)
		}
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		want := upd
		want.Username, want.CreatedAt = u.Username, u.CreatedAt
		checkUser(t, got, &want)
		_, err = s.UserByUsername(ctx, "mallory")
		wantErr(t, "UserByUsername(mallory)", err, gatehouse.ErrNotFound)
		// The next write is decided from Version 2.
		upd.Disabled = false
		_, err = s.UpdateUser(ctx, &upd, "admin edit")
		must(t, "UpdateUser from Version 2", err)
		if upd.Version != 3 {
			t.Errorf("Version = %d, want 3", upd.Version)
		}
	}},
	{"UpdateUser of an unknown user is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		u := newUser("nobody", "nobody")
		u.Version = 1
		_, err := s.UpdateUser(context.Background(), u, "x")
		wantErr(t, "UpdateUser", err, gatehouse.ErrNotFound)
	}},
	{"UpdateUser moving the epoch back writes nothing and is ErrStale", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Epoch = at(time.Hour)
		must(t, "CreateUser", s.CreateUser(ctx, u))
		back := *u
		back.Epoch = at(time.Minute)
		back.UpdatedAt = at(2 * time.Hour)
		_, err := s.UpdateUser(ctx, &back, "x")
		wantErr(t, "UpdateUser", err, gatehouse.ErrStale)
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkTime(t, "Epoch", got.Epoch, at(time.Hour))
		if got.Version != 1 {
			t.Errorf("Version = %d, want 1", got.Version)
		}
	}},
	{"UpdateUser with a stale version writes nothing and is ErrStale", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		must(t, "CreateUser", s.CreateUser(ctx, u))
		createSession(t, s, "s1", "u1", at(0))
		// Two writers read Version 1; the first writes.
		first, second := *u, *u
		first.Scopes = []string{"read"}
		first.UpdatedAt = at(time.Minute)
		_, err := s.UpdateUser(ctx, &first, "scope removed")
		must(t, "UpdateUser (first)", err)
		// The second, decided from Version 1, would move the epoch too.
		second.PasswordHash = "$2b$12$stale"
		second.Disabled = true
		second.Epoch = gatehouse.NextEpoch(at(2*time.Minute), u.Epoch)
		second.UpdatedAt = at(2 * time.Minute)
		n, err := s.UpdateUser(ctx, &second, "password changed")
		wantErr(t, "UpdateUser (stale)", err, gatehouse.ErrStale)
		if n != 0 || second.Version != 1 {
			t.Errorf("stale UpdateUser = %d ended, Version %d; want 0 and the unchanged 1", n, second.Version)
		}
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, &first)
		sess, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		if !sess.RevokedAt.IsZero() {
			t.Error("a stale epoch move ended a session")
		}
		if rs := feed(t, s, at(0)); len(rs) != 0 {
			t.Errorf("feed = %q, want empty", values(rs))
		}
		// Versions are compared, not ordered: one from the future is stale too.
		future := first
		future.Version = 7
		_, err = s.UpdateUser(ctx, &future, "x")
		wantErr(t, "UpdateUser (future version)", err, gatehouse.ErrStale)
	}},
	{"UpdateUser without an epoch move ends nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		u, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		u.Scopes = append(u.Scopes, "orders:write") // a scope added ends nothing
		u.UpdatedAt = at(time.Minute)
		n, err := s.UpdateUser(ctx, u, "scope added")
		must(t, "UpdateUser", err)
		if n != 0 {
			t.Errorf("UpdateUser ended %d sessions, want 0", n)
		}
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		if !got.Active(at(time.Minute)) {
			t.Error("the session ended")
		}
		if rs := feed(t, s, at(0)); len(rs) != 0 {
			t.Errorf("feed = %q, want empty", values(rs))
		}
		rotate(t, s, "s1/0", "s1/1", at(2*time.Minute))
	}},
	{"UpdateUser compares epochs at the microsecond the store keeps", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Epoch = at(-time.Hour)
		must(t, "CreateUser", s.CreateUser(ctx, u))
		createSession(t, s, "s1", "u1", at(0))
		u.Epoch = u.Epoch.Add(999 * time.Nanosecond) // the same epoch, as stored
		u.UpdatedAt = at(time.Minute)
		n, err := s.UpdateUser(ctx, u, "x")
		must(t, "UpdateUser", err)
		if n != 0 {
			t.Errorf("UpdateUser ended %d sessions, want 0: the epoch did not move", n)
		}
		if rs := feed(t, s, at(0)); len(rs) != 0 {
			t.Errorf("feed = %q, want empty", values(rs))
		}
		rotate(t, s, "s1/0", "s1/1", at(2*time.Minute))
	}},
	{"UpdateUser moving the epoch ends every active session and adds one sid entry each and one user entry", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "a", "u1", at(0))
		createSession(t, s, "b", "u1", at(time.Minute))
		rotate(t, s, "b/0", "b/1", at(2*time.Minute))
		createSession(t, s, "gone", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "gone", "logout", at(time.Minute)))
		createSession(t, s, "idle", "u1", at(-idleTTL)) // idle-expired at at(0)
		other, _ := createSession(t, s, "other", "u2", at(0))
		before := feed(t, s, at(0))

		now := at(3 * time.Minute)
		u, n := moveEpoch(t, s, "u1", "password changed", now)
		if n != 2 {
			t.Errorf("UpdateUser ended %d sessions, want 2 (a, b)", n)
		}
		if u.Version != 2 {
			t.Errorf("Version = %d, want 2", u.Version)
		}
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, u)
		for _, id := range []string{"a", "b"} {
			sess, err := s.Session(ctx, id)
			must(t, "Session("+id+")", err)
			checkTime(t, id+" RevokedAt", sess.RevokedAt, now)
			if sess.RevokeReason != "password changed" {
				t.Errorf("%s RevokeReason = %q", id, sess.RevokeReason)
			}
			if ok, err := s.IsRevoked(ctx, "", id); err != nil || !ok {
				t.Errorf("IsRevoked(sid %s) = %v, %v; want true", id, ok, err)
			}
		}
		_, err = s.RotateRefreshToken(ctx, rotation("b/1", "b/2", now.Add(time.Second)))
		wantErr(t, "RotateRefreshToken of an ended session", err, gatehouse.ErrSessionEnded)
		// Sessions that had ended keep how they ended.
		gone, err := s.Session(ctx, "gone")
		must(t, "Session(gone)", err)
		checkTime(t, "gone RevokedAt", gone.RevokedAt, at(time.Minute))
		if gone.RevokeReason != "logout" {
			t.Errorf("an already revoked session got a new reason %q", gone.RevokeReason)
		}
		idle, err := s.Session(ctx, "idle")
		must(t, "Session(idle)", err)
		if !idle.RevokedAt.IsZero() {
			t.Error("an idle-expired session was revoked")
		}
		got2, err := s.Session(ctx, "other")
		must(t, "Session(other)", err)
		checkSession(t, got2, other)

		after := feed(t, s, at(0))
		added := values(after[len(before):])
		slices.Sort(added)
		if want := []string{"sid:a", "sid:b", "user:u1"}; !slices.Equal(added, want) {
			t.Fatalf("entries added = %q, want %q", added, want)
		}
		for _, r := range after[len(before):] {
			if r.Cursor <= before[len(before)-1].Cursor {
				t.Errorf("entry %s:%s has cursor %d, not after the feed's last %d", r.Kind, r.Value, r.Cursor, before[len(before)-1].Cursor)
			}
			want := now
			if r.Kind == gatehouse.RevokeUser {
				want = u.Epoch // every token issued before the new epoch
			}
			checkTime(t, r.Kind+":"+r.Value+" Time", r.Time, want)
		}
	}},
	{"a second epoch move replaces the user entry with a new cursor", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		first, _ := moveEpoch(t, s, "u1", "password changed", at(time.Minute))
		userEntry := func() gatehouse.Revocation {
			t.Helper()
			var found []gatehouse.Revocation
			for _, r := range feed(t, s, at(0)) {
				if r.Kind == gatehouse.RevokeUser {
					found = append(found, r)
				}
			}
			if len(found) != 1 || found[0].Value != "u1" {
				t.Fatalf("user entries = %+v, want one for u1", found)
			}
			return found[0]
		}
		e1 := userEntry()
		checkTime(t, "first user entry Time", e1.Time, first.Epoch)
		createSession(t, s, "s2", "u1", at(2*time.Minute))
		second, n := moveEpoch(t, s, "u1", "logout everywhere", at(3*time.Minute))
		if n != 1 {
			t.Errorf("second move ended %d sessions, want 1 (s2)", n)
		}
		e2 := userEntry()
		checkTime(t, "second user entry Time", e2.Time, second.Epoch)
		if e2.Cursor <= e1.Cursor {
			t.Errorf("user entry cursor %d → %d, want a new, higher one", e1.Cursor, e2.Cursor)
		}
		// A reader that had seen the first entry sees the second.
		rs, err := s.Revocations(ctx, e1.Cursor, 10, at(0))
		must(t, "Revocations", err)
		if got := values(rs); !slices.Contains(got, "user:u1") {
			t.Errorf("a reader at cursor %d sees %q, want user:u1 again", e1.Cursor, got)
		}
		// Epoch moves without sessions still move the entry.
		third, n := moveEpoch(t, s, "u1", "logout everywhere", at(3*time.Minute))
		if n != 0 {
			t.Errorf("third move ended %d sessions, want 0", n)
		}
		if !third.Epoch.After(second.Epoch) {
			t.Errorf("epoch %v not after %v", third.Epoch, second.Epoch)
		}
		e3 := userEntry()
		checkTime(t, "third user entry Time", e3.Time, third.Epoch)
		if e3.Cursor <= e2.Cursor {
			t.Errorf("user entry cursor %d → %d, want a new, higher one", e2.Cursor, e3.Cursor)
		}
	}},
	{"feed entries of an ended session are forgettable after its latest access token", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		// a: login access token until +15m, refreshed at +10m until +25m.
		createSession(t, s, "a", "u1", at(0))
		rotate(t, s, "a/0", "a/1", at(10*time.Minute))
		// b: login access token until +16m.
		createSession(t, s, "b", "u1", at(time.Minute))
		// long: revoked before the move, with an access token until +40m.
		long, first := newSession("long", "u1", at(0))
		long.AccessExpiresAt = at(40 * time.Minute)
		storeSession(t, s, long, first)
		must(t, "RevokeSession", s.RevokeSession(ctx, "long", "logout", at(time.Minute)))

		now := at(20 * time.Minute)
		moveEpoch(t, s, "u1", "password changed", now)
		forget := map[string]time.Time{}
		for _, r := range feed(t, s, at(0)) {
			forget[r.Kind+":"+r.Value] = r.ForgetAt
		}
		want := map[string]time.Time{
			"sid:a": gatehouse.ForgetAt(now, at(25*time.Minute)),
			// b's tokens had expired: forgettable at once.
			"sid:b": now,
			// The user entry matches every session's tokens: the latest.
			"user:u1": gatehouse.ForgetAt(now, at(40*time.Minute)),
		}
		for k, w := range want {
			f, ok := forget[k]
			if !ok {
				t.Errorf("no %s entry", k)
				continue
			}
			checkTime(t, k+" ForgetAt", f, w)
		}
		// An entry is in the feed until its ForgetAt, and left out after.
		f := want["sid:a"]
		if got := values(feed(t, s, f)); !slices.Contains(got, "sid:a") {
			t.Errorf("feed at sid:a's ForgetAt = %q, want sid:a", got)
		}
		if got := values(feed(t, s, f.Add(time.Microsecond))); slices.Contains(got, "sid:a") {
			t.Errorf("feed after sid:a's ForgetAt = %q, want it left out", got)
		}
	}},
	{"a replaced user entry is never forgettable before the one it replaces", func(t *testing.T, s gatehouse.Store) {
		// The new entry matches every token the old one matched, including
		// those of sessions purged since.
		ctx := context.Background()
		long, first := newSession("s1", "u1", at(0))
		long.AccessExpiresAt = at(48 * time.Hour)
		storeSession(t, s, long, first)
		moveEpoch(t, s, "u1", "password changed", at(time.Minute))
		_, err := s.Purge(ctx, at(2*time.Minute), at(2*time.Minute))
		must(t, "Purge", err)
		_, err = s.Session(ctx, "s1")
		wantErr(t, "Session of the purged session", err, gatehouse.ErrNotFound)
		moveEpoch(t, s, "u1", "logout everywhere", at(3*time.Minute))
		for _, r := range feed(t, s, at(0)) {
			if r.Kind == gatehouse.RevokeUser {
				checkTime(t, "user entry ForgetAt", r.ForgetAt, gatehouse.ForgetAt(at(time.Minute), at(48*time.Hour)))
			}
		}
	}},
	{"ReplacePasswordHash swaps only the hash it was given", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Epoch = at(-time.Hour)
		must(t, "CreateUser", s.CreateUser(ctx, u))
		createSession(t, s, "s1", "u1", at(0))
		must(t, "ReplacePasswordHash", s.ReplacePasswordHash(ctx, "u1", u.PasswordHash, "$argon2id$rehashed", at(time.Hour)))
		want := *u
		want.PasswordHash, want.UpdatedAt, want.Version = "$argon2id$rehashed", at(time.Hour), 2
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, &want) // same epoch, same PasswordChangedAt
		// The hash it was given is no longer the stored one.
		wantErr(t, "ReplacePasswordHash from the old hash", s.ReplacePasswordHash(ctx, "u1", u.PasswordHash, "$argon2id$other", at(2*time.Hour)), gatehouse.ErrStale)
		got, err = s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, &want)
		// A write decided before the rehash is stale.
		_, err = s.UpdateUser(ctx, u, "x")
		wantErr(t, "UpdateUser from Version 1", err, gatehouse.ErrStale)
		wantErr(t, "ReplacePasswordHash of an unknown user", s.ReplacePasswordHash(ctx, "nobody", "a", "b", at(0)), gatehouse.ErrNotFound)
		// The session is untouched: the password did not change.
		sess, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		if !sess.Active(at(time.Minute)) {
			t.Error("a rehash ended a session")
		}
		if rs := feed(t, s, at(0)); len(rs) != 0 {
			t.Errorf("feed = %q, want empty", values(rs))
		}
	}},
	{"DeleteUser removes the user", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u2", "bob")))
		n, err := s.DeleteUser(ctx, "u1", "deleted", at(time.Hour))
		must(t, "DeleteUser", err)
		if n != 0 {
			t.Errorf("DeleteUser ended %d sessions, want 0", n)
		}
		_, err = s.UserByID(ctx, "u1")
		wantErr(t, "UserByID", err, gatehouse.ErrNotFound)
		_, err = s.UserByUsername(ctx, "alice")
		wantErr(t, "UserByUsername", err, gatehouse.ErrNotFound)
		_, err = s.UserByID(ctx, "u2")
		must(t, "UserByID of another user", err)
		// The username is free again.
		must(t, "CreateUser again", s.CreateUser(ctx, newUser("u3", "alice")))
	}},
	{"DeleteUser ends sessions, adds feed entries, removes sessions", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		_, h1 := createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(time.Minute))
		rotate(t, s, "s2/0", "s2/1", at(2*time.Minute))
		createSession(t, s, "gone", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "gone", "logout", at(time.Minute)))
		_, h3 := createSession(t, s, "s3", "u2", at(0))
		before := len(feed(t, s, at(0)))

		now := at(3 * time.Minute)
		n, err := s.DeleteUser(ctx, "u1", "account deleted", now)
		must(t, "DeleteUser", err)
		if n != 2 {
			t.Errorf("DeleteUser ended %d sessions, want 2 (s1, s2)", n)
		}
		for _, id := range []string{"s1", "s2", "gone"} {
			_, err := s.Session(ctx, id)
			wantErr(t, "Session("+id+")", err, gatehouse.ErrNotFound)
			_, err = s.TokenState(ctx, id, "", "")
			wantErr(t, "TokenState("+id+")", err, gatehouse.ErrNotFound)
		}
		for _, h := range [][]byte{h1, hash("s2/0"), hash("s2/1")} {
			_, err := s.SessionByRefreshHash(ctx, h)
			wantErr(t, "SessionByRefreshHash of a deleted session's token", err, gatehouse.ErrNotFound)
		}
		_, err = s.SessionByFamily(ctx, familyOf("s2"))
		wantErr(t, "SessionByFamily of a deleted session", err, gatehouse.ErrNotFound)
		_, err = s.RotateRefreshToken(ctx, rotation("s2/1", "s2/2", at(4*time.Minute)))
		wantErr(t, "RotateRefreshToken of a deleted session's token", err, gatehouse.ErrNotFound)
		if _, err := s.SessionByRefreshHash(ctx, h3); err != nil {
			t.Errorf("another user's session is gone: %v", err)
		}
		// What was issued before the deletion is revoked in the feed.
		all := feed(t, s, at(0))
		added := all[before:]
		got := values(added)
		slices.Sort(got)
		if want := []string{"sid:s1", "sid:s2", "user:u1"}; !slices.Equal(got, want) {
			t.Fatalf("entries added = %q, want %q", got, want)
		}
		for _, r := range added {
			checkTime(t, r.Kind+":"+r.Value+" Time", r.Time, now)
			want := now
			switch r.Value {
			case "s1":
				want = gatehouse.ForgetAt(now, at(accessTTL))
			case "s2", "u1": // s2's refresh at +2m minted the latest token
				want = gatehouse.ForgetAt(now, at(2*time.Minute+accessTTL))
			}
			checkTime(t, r.Kind+":"+r.Value+" ForgetAt", r.ForgetAt, want)
		}
		// A new user with the same id starts afresh.
		must(t, "CreateUser again", s.CreateUser(ctx, newUser("u1", "u1")))
		createSession(t, s, "s4", "u1", at(5*time.Minute))
	}},
	{"DeleteUser of an unknown user is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		_, err := s.DeleteUser(ctx, "nobody", "x", at(0))
		wantErr(t, "DeleteUser", err, gatehouse.ErrNotFound)
		must(t, "CreateUser", s.CreateUser(ctx, newUser("u1", "alice")))
		_, err = s.DeleteUser(ctx, "u1", "x", at(0))
		must(t, "DeleteUser", err)
		_, err = s.DeleteUser(ctx, "u1", "x", at(0))
		wantErr(t, "DeleteUser twice", err, gatehouse.ErrNotFound)
		if got := values(feed(t, s, at(0))); !slices.Equal(got, []string{"user:u1"}) {
			t.Errorf("feed = %q, want the one user entry of the first deletion", got)
		}
	}},
}

// equalClaims compares custom claims by their JSON bytes; nil and empty
// are the same.
func equalClaims(a, b map[string]json.RawMessage) bool {
	return maps.EqualFunc(a, b, func(x, y json.RawMessage) bool { return string(x) == string(y) })
}
