package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

var sessionTests = []test{
	{"created session round-trips, by id and by its refresh token", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		sess.AuthTime = at(-time.Minute).Add(789 * time.Nanosecond)
		sess.Scopes = []string{"read", "orders:write"}
		must(t, "CreateSession", s.CreateSession(ctx, sess, first))
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
	{"CreateSession with a taken id is ErrConflict", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		sess, first := newSession("s1", "u2", at(time.Minute))
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
	{"CreateSession with a first token of another session fails and stores nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		first.SessionID = "s2"
		if err := s.CreateSession(ctx, sess, first); err == nil {
			t.Fatal("CreateSession accepted a first token of another session")
		}
		_, err := s.Session(ctx, "s1")
		wantErr(t, "Session", err, gatehouse.ErrNotFound)
	}},
	{"Session of an unknown id is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		_, err := s.Session(context.Background(), "nope")
		wantErr(t, "Session", err, gatehouse.ErrNotFound)
	}},
	{"SessionByRefreshHash of an unknown hash is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		createSession(t, s, "s1", "u1", at(0))
		_, err := s.SessionByRefreshHash(context.Background(), hash("unknown"))
		wantErr(t, "SessionByRefreshHash", err, gatehouse.ErrNotFound)
		_, err = s.SessionByRefreshHash(context.Background(), nil)
		wantErr(t, "SessionByRefreshHash(nil)", err, gatehouse.ErrNotFound)
	}},
	{"SessionByRefreshHash finds the session by rotated tokens too", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		rotate(t, s, "s1/1", "s1/2", at(2*time.Minute))
		for _, tok := range []string{"s1/0", "s1/1", "s1/2"} {
			got, err := s.SessionByRefreshHash(ctx, hash(tok))
			must(t, "SessionByRefreshHash("+tok+")", err)
			if got.ID != "s1" {
				t.Errorf("SessionByRefreshHash(%s) = %s, want s1", tok, got.ID)
			}
		}
	}},
	{"session returned by SessionByRefreshHash is as stored, revoked or not", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, h := createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(time.Minute), at(time.Hour)))
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
		must(t, "RevokeSession", s.RevokeSession(ctx, "revoked", "logout", at(5*time.Minute), at(time.Hour)))
		// Idle-expired: created an idle TTL before now.
		createSession(t, s, "idle", "u1", now.Add(-idleTTL))
		// Past its absolute end although its idle expiry is later.
		sess, first := newSession("old", "u1", at(0))
		sess.ExpiresAt = now
		sess.IdleExpiresAt = now.Add(time.Hour)
		must(t, "CreateSession", s.CreateSession(ctx, sess, first))
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
		must(t, "CreateSession", s.CreateSession(ctx, sess, first))
		res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/1", at(time.Hour/2)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrTokenReused)
		if res == nil || res.Session == nil || res.Session.ID != "s1" {
			t.Errorf("result = %+v, want session s1", res)
		}
	}},
}
