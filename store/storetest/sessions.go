package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// checkNoSession fails unless neither the session id nor its first token
// was stored.
func checkNoSession(t *testing.T, s gatehouse.Store, id string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Session(ctx, id)
	wantErr(t, "Session of the refused session", err, gatehouse.ErrNotFound)
	_, err = s.SessionByRefreshHash(ctx, hash(id+"/0"))
	wantErr(t, "SessionByRefreshHash of the refused token", err, gatehouse.ErrNotFound)
}

var sessionTests = []test{
	{"created session round-trips, by id and by its refresh token", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		sess.AuthTime = at(-time.Minute).Add(789 * time.Nanosecond)
		sess.Scopes = []string{"read", "orders:write"}
		sess.AccessExpiresAt = at(accessTTL + 321*time.Nanosecond)
		storeSession(t, s, sess, first)
		if sess.LastIP != loginIP || sess.LastUserAgent != loginAgent {
			t.Errorf("CreateSession set last %q (%q), want the login's", sess.LastIP, sess.LastUserAgent)
		}
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		checkSession(t, got, sess)
		if !got.Active(at(0)) {
			t.Error("a new session is not active")
		}
		got, err = s.SessionByRefreshHash(ctx, first.Hash)
		must(t, "SessionByRefreshHash", err)
		checkSession(t, got, sess)
	}},
	{"a session keeps the epoch it was created under", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Epoch = at(-time.Hour)
		must(t, "CreateUser", s.CreateUser(ctx, u))
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		checkTime(t, "Epoch", got.Epoch, u.Epoch)
		checkSession(t, got, sess)
	}},
	{"CreateSession with a taken id is ErrConflict", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		ensureUser(t, s, "u2")
		sess, first := newSession("s1", "u2", at(time.Minute))
		sess.FamilyHash = hash("other family")
		first.Hash = hash("other")
		wantErr(t, "CreateSession", s.CreateSession(ctx, sess, first), gatehouse.ErrConflict)
		_, err := s.SessionByRefreshHash(ctx, first.Hash)
		wantErr(t, "SessionByRefreshHash of the refused token", err, gatehouse.ErrNotFound)
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		if got.UserID != "u1" {
			t.Errorf("UserID = %s, want the first session's u1", got.UserID)
		}
	}},
	{"CreateSession with a taken token hash is ErrConflict and stores no session", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		sess, first := newSession("s2", "u1", at(0))
		first.Hash = hash("s1/0")
		wantErr(t, "CreateSession", s.CreateSession(ctx, sess, first), gatehouse.ErrConflict)
		_, err := s.Session(ctx, "s2")
		wantErr(t, "Session of the refused session", err, gatehouse.ErrNotFound)
		got, err := s.SessionByRefreshHash(ctx, hash("s1/0"))
		must(t, "SessionByRefreshHash", err)
		if got.ID != "s1" {
			t.Errorf("token now belongs to %s, want s1", got.ID)
		}
	}},
	{"CreateSession with a taken family is ErrConflict and stores nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		sess, first := newSession("s2", "u1", at(0))
		sess.FamilyHash = familyOf("s1")
		wantErr(t, "CreateSession", s.CreateSession(ctx, sess, first), gatehouse.ErrConflict)
		checkNoSession(t, s, "s2")
		got, err := s.SessionByFamily(ctx, familyOf("s1"))
		must(t, "SessionByFamily", err)
		if got.ID != "s1" {
			t.Errorf("family now belongs to %s, want s1", got.ID)
		}
	}},
	{"sessions without a family do not conflict with each other", func(t *testing.T, s gatehouse.Store) {
		for _, id := range []string{"s1", "s2"} {
			sess, first := newSession(id, "u1", at(0))
			sess.FamilyHash = nil
			storeSession(t, s, sess, first)
		}
	}},
	{"CreateSession with a first token of another session fails and stores nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		ensureUser(t, s, "u1")
		sess, first := newSession("s1", "u1", at(0))
		first.SessionID = "s2"
		if err := s.CreateSession(ctx, sess, first); err == nil {
			t.Fatal("CreateSession accepted a first token of another session")
		}
		checkNoSession(t, s, "s1")
	}},
	{"CreateSession for a user that does not exist is ErrStale and creates nothing", func(t *testing.T, s gatehouse.Store) {
		sess, first := newSession("s1", "nobody", at(0))
		wantErr(t, "CreateSession", s.CreateSession(context.Background(), sess, first), gatehouse.ErrStale)
		checkNoSession(t, s, "s1")
	}},
	{"CreateSession for a disabled user is ErrStale and creates nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := newUser("u1", "alice")
		u.Disabled = true
		must(t, "CreateUser", s.CreateUser(ctx, u))
		sess, first := newSession("s1", "u1", at(0))
		wantErr(t, "CreateSession", s.CreateSession(ctx, sess, first), gatehouse.ErrStale)
		checkNoSession(t, s, "s1")
	}},
	{"CreateSession for a user in another epoch is ErrStale and creates nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		old := ensureUser(t, s, "u1")
		// The password was checked, then the epoch moved: the login was
		// decided under the old epoch.
		moved, _ := moveEpoch(t, s, "u1", "password changed", at(time.Minute))
		sess, first := newSession("s1", "u1", at(2*time.Minute))
		sess.Epoch = old.Epoch
		wantErr(t, "CreateSession under the old epoch", s.CreateSession(ctx, sess, first), gatehouse.ErrStale)
		checkNoSession(t, s, "s1")
		// An epoch the user has not reached is as stale.
		sess.Epoch = moved.Epoch.Add(time.Hour)
		wantErr(t, "CreateSession under a later epoch", s.CreateSession(ctx, sess, first), gatehouse.ErrStale)
		checkNoSession(t, s, "s1")
		// Decided again under the current epoch, the login stands.
		sess.Epoch = moved.Epoch
		must(t, "CreateSession under the current epoch", s.CreateSession(ctx, sess, first))
	}},
	{"CreateSession for a deleted user is ErrStale and creates nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := ensureUser(t, s, "u1")
		_, err := s.DeleteUser(ctx, "u1", "deleted", at(time.Minute))
		must(t, "DeleteUser", err)
		sess, first := newSession("s1", "u1", at(2*time.Minute))
		sess.Epoch = u.Epoch
		wantErr(t, "CreateSession", s.CreateSession(ctx, sess, first), gatehouse.ErrStale)
		checkNoSession(t, s, "s1")
	}},
	{"Session of an unknown id is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		_, err := s.Session(context.Background(), "nope")
		wantErr(t, "Session", err, gatehouse.ErrNotFound)
	}},
	{"TokenState reads session, user and jti revocation in one call", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		u, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		st, err := s.TokenState(ctx, "s1", "j1", "")
		must(t, "TokenState", err)
		checkSession(t, st.Session, sess)
		if st.User == nil {
			t.Fatal("TokenState: no user")
		}
		checkUser(t, st.User, u)
		if st.JTIRevoked {
			t.Error("JTIRevoked before any revocation")
		}
		if !gatehouse.SessionValid(st.Session, st.User, at(time.Minute)) {
			t.Error("the state of a fresh login is not valid")
		}
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(time.Minute), at(accessTTL)))
		for _, tc := range []struct {
			jti  string
			want bool
		}{{"j1", true}, {"j2", false}, {"", false}, {"s1", false}} {
			st, err := s.TokenState(ctx, "s1", tc.jti, "")
			must(t, "TokenState", err)
			if st.JTIRevoked != tc.want {
				t.Errorf("TokenState(s1, %q).JTIRevoked = %v, want %v", tc.jti, st.JTIRevoked, tc.want)
			}
		}
		// A revoked session, or its user in another epoch, is read as it is.
		moved, _ := moveEpoch(t, s, "u1", "password changed", at(2*time.Minute))
		st, err = s.TokenState(ctx, "s1", "", "")
		must(t, "TokenState", err)
		checkTime(t, "RevokedAt", st.Session.RevokedAt, at(2*time.Minute))
		checkUser(t, st.User, moved)
		if gatehouse.SessionValid(st.Session, st.User, at(2*time.Minute)) {
			t.Error("the state after an epoch move is valid")
		}
	}},
	{"TokenState of an unknown or deleted session is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		_, err := s.TokenState(ctx, "nope", "j1", "")
		wantErr(t, "TokenState of an unknown session", err, gatehouse.ErrNotFound)
		// DeleteUser removes the sessions with the user: a token of a
		// deleted user finds no session at all.
		createSession(t, s, "s1", "u1", at(0))
		_, err = s.DeleteUser(ctx, "u1", "deleted", at(time.Minute))
		must(t, "DeleteUser", err)
		_, err = s.TokenState(ctx, "s1", "j1", "")
		wantErr(t, "TokenState of a deleted user's session", err, gatehouse.ErrNotFound)
	}},
	{"SessionByRefreshHash of an unknown hash is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		createSession(t, s, "s1", "u1", at(0))
		_, err := s.SessionByRefreshHash(context.Background(), hash("unknown"))
		wantErr(t, "SessionByRefreshHash", err, gatehouse.ErrNotFound)
		_, err = s.SessionByRefreshHash(context.Background(), nil)
		wantErr(t, "SessionByRefreshHash(nil)", err, gatehouse.ErrNotFound)
	}},
	{"SessionByRefreshHash finds the session by its live and its last rotated token", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		rotate(t, s, "s1/1", "s1/2", at(2*time.Minute))
		for _, tok := range []string{"s1/1", "s1/2"} {
			got, err := s.SessionByRefreshHash(ctx, hash(tok))
			must(t, "SessionByRefreshHash("+tok+")", err)
			if got.ID != "s1" {
				t.Errorf("SessionByRefreshHash(%s) = %s, want s1", tok, got.ID)
			}
		}
	}},
	{"SessionByFamily finds the session of a family, whichever token is stored", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(0))
		got, err := s.SessionByFamily(ctx, familyOf("s1"))
		must(t, "SessionByFamily", err)
		checkSession(t, got, sess)
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		rotate(t, s, "s1/1", "s1/2", at(2*time.Minute))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "reuse", at(3*time.Minute)))
		// s1/0's row is gone; its family still names the (revoked) session.
		got, err = s.SessionByFamily(ctx, familyOf("s1"))
		must(t, "SessionByFamily after rotations", err)
		if got.ID != "s1" || got.RevokedAt.IsZero() {
			t.Errorf("SessionByFamily = %s revoked at %v, want s1, revoked", got.ID, got.RevokedAt)
		}
		for _, f := range [][]byte{hash("unknown"), nil, {}} {
			_, err = s.SessionByFamily(ctx, f)
			wantErr(t, "SessionByFamily of an unknown family", err, gatehouse.ErrNotFound)
		}
	}},
	{"SessionByFamily does not find a session without a family", func(t *testing.T, s gatehouse.Store) {
		sess, first := newSession("s1", "u1", at(0))
		sess.FamilyHash = nil
		storeSession(t, s, sess, first)
		for _, f := range [][]byte{nil, {}} {
			_, err := s.SessionByFamily(context.Background(), f)
			wantErr(t, "SessionByFamily", err, gatehouse.ErrNotFound)
		}
	}},
	{"session returned by SessionByRefreshHash is as stored, revoked or not", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, h := createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(time.Minute)))
		got, err := s.SessionByRefreshHash(ctx, h)
		must(t, "SessionByRefreshHash", err)
		want := *sess
		want.RevokedAt, want.RevokeReason = at(time.Minute), "logout"
		checkSession(t, got, &want)
	}},
	{"ListSessions lists only active sessions, most recently used first", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		now := at(30 * time.Minute)
		// a: used at +1m; b: used at +3m; c: used at +2m; all active at now.
		createSession(t, s, "a", "u1", at(0))
		rotate(t, s, "a/0", "a/1", at(time.Minute))
		createSession(t, s, "b", "u1", at(0))
		rotate(t, s, "b/0", "b/1", at(3*time.Minute))
		createSession(t, s, "c", "u1", at(2*time.Minute))
		// Revoked.
		createSession(t, s, "revoked", "u1", at(4*time.Minute))
		must(t, "RevokeSession", s.RevokeSession(ctx, "revoked", "logout", at(5*time.Minute)))
		// Idle-expired: created an idle TTL before now.
		createSession(t, s, "idle", "u1", now.Add(-idleTTL))
		// Past its absolute end although its idle expiry is later.
		sess, first := newSession("old", "u1", at(0))
		sess.ExpiresAt = now
		sess.IdleExpiresAt = now.Add(time.Hour)
		storeSession(t, s, sess, first)
		// Another user's.
		createSession(t, s, "other", "u2", at(10*time.Minute))

		ss, err := s.ListSessions(ctx, "u1", now)
		must(t, "ListSessions", err)
		if got, want := sessionIDs(ss), []string{"b", "c", "a"}; !slices.Equal(got, want) {
			t.Errorf("ListSessions = %q, want %q", got, want)
		}
		for _, sess := range ss {
			if !sess.Active(now) {
				t.Errorf("listed session %s is not active at now", sess.ID)
			}
		}
	}},
	{"ListSessions of a user without sessions is empty", func(t *testing.T, s gatehouse.Store) {
		createSession(t, s, "s1", "u1", at(0))
		ss, err := s.ListSessions(context.Background(), "u2", at(0))
		must(t, "ListSessions", err)
		if len(ss) != 0 {
			t.Errorf("ListSessions = %q, want none", sessionIDs(ss))
		}
	}},
	{"first token given as rotated is stored as rotated", func(t *testing.T, s gatehouse.Store) {
		// CreateSession stores the token as given; a store does not make it
		// live on its own.
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		first.RotatedAt = at(0)
		first.SuccessorHash = hash("elsewhere")
		first.SealedSuccessor = []byte("sealed")
		storeSession(t, s, sess, first)
		res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/1", at(time.Hour/2)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrTokenReused)
		if res == nil || res.Session == nil || res.Session.ID != "s1" {
			t.Errorf("result = %+v, want session s1", res)
		}
	}},
}
