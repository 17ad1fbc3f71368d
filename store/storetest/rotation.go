package storetest

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// checkUnchanged fails unless the session is as before and tok's would-be
// successor newTok was not stored.
func checkUnchanged(t *testing.T, s gatehouse.Store, before *gatehouse.Session, newTok string) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Session(ctx, before.ID)
	must(t, "Session", err)
	checkSession(t, got, before)
	_, err = s.SessionByRefreshHash(ctx, hash(newTok))
	wantErr(t, "SessionByRefreshHash of the refused successor", err, gatehouse.ErrNotFound)
}

// checkLive fails unless tok is the live token of its session at now, by
// rotating it.
func checkLive(t *testing.T, s gatehouse.Store, tok string, now time.Time) {
	t.Helper()
	rotate(t, s, tok, tok+"'", now)
}

var rotationTests = []test{
	{"rotating a live token rotates it and slides the session", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		now := at(10 * time.Minute)
		r := rotation("s1/0", "s1/1", now)
		r.Next.SessionID = "" // filled in by the store
		res, err := s.RotateRefreshToken(ctx, r)
		must(t, "RotateRefreshToken", err)
		if res.Retry || res.SealedSuccessor != nil {
			t.Errorf("result = %+v, want a rotation without a sealed successor", res)
		}
		want := rotated(sess, now)
		checkSession(t, res.Session, want)
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		checkSession(t, got, want)
		got, err = s.SessionByRefreshHash(ctx, hash("s1/1"))
		must(t, "SessionByRefreshHash of the successor", err)
		if got.ID != "s1" {
			t.Errorf("successor belongs to %s, want s1", got.ID)
		}
	}},
	{"the successor rotates in turn", func(t *testing.T, s gatehouse.Store) {
		createSession(t, s, "s1", "u1", at(0))
		for i, tok := range []string{"s1/0", "s1/1", "s1/2", "s1/3"} {
			rotate(t, s, tok, "s1/"+string(rune('1'+i)), at(time.Duration(i+1)*time.Minute))
		}
	}},
	{"rotation slides idle expiry but never past ExpiresAt", func(t *testing.T, s gatehouse.Store) {
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		// Keep the session alive with a refresh every 50 minutes until the
		// idle TTL would take it past its absolute end.
		tok, now := "s1/0", at(0)
		for i := 1; ; i++ {
			now = now.Add(50 * time.Minute)
			if !now.Before(sess.ExpiresAt) {
				break
			}
			next := "s1/" + strconv.Itoa(i)
			res := rotate(t, s, tok, next, now)
			want := now.Add(idleTTL)
			if want.After(sess.ExpiresAt) {
				want = sess.ExpiresAt
			}
			checkTime(t, "IdleExpiresAt", res.Session.IdleExpiresAt, want)
			checkTime(t, "ExpiresAt", res.Session.ExpiresAt, sess.ExpiresAt)
			checkTime(t, "LastUsedAt", res.Session.LastUsedAt, now)
			tok = next
		}
		_, err := s.RotateRefreshToken(context.Background(), rotation(tok, "late", now))
		wantErr(t, "RotateRefreshToken at ExpiresAt", err, gatehouse.ErrSessionEnded)
	}},
	{"a retry within the grace window returns the same successor and writes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		first := rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		for _, d := range []time.Duration{0, time.Second, grace - time.Microsecond} {
			res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(time.Minute+d)))
			must(t, "RotateRefreshToken (retry)", err)
			if !res.Retry || !bytes.Equal(res.SealedSuccessor, []byte("sealed:s1/1")) {
				t.Errorf("retry after %v: %+v, want Retry with the sealed s1/1", d, res)
			}
			checkSession(t, res.Session, first.Session)
			checkUnchanged(t, s, first.Session, "s1/x")
		}
		checkLive(t, s, "s1/1", at(2*time.Minute))
	}},
	{"another client's live token is ErrWrongClient and writes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		for _, client := range []string{"another-app", ""} {
			r := rotation("s1/0", "s1/x", at(time.Minute))
			r.ClientID = client
			_, err := s.RotateRefreshToken(ctx, r)
			wantErr(t, "RotateRefreshToken by client "+strconv.Quote(client), err, gatehouse.ErrWrongClient)
			checkUnchanged(t, s, sess, "s1/x")
		}
		checkLive(t, s, "s1/0", at(2*time.Minute))
	}},
	{"another client's retired token is ErrWrongClient, neither retry nor reuse", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		first := rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		for _, d := range []time.Duration{time.Second, time.Hour / 2} {
			r := rotation("s1/0", "s1/x", at(time.Minute+d))
			r.ClientID = "another-app"
			res, err := s.RotateRefreshToken(ctx, r)
			wantErr(t, "RotateRefreshToken of a retired token by another client", err, gatehouse.ErrWrongClient)
			if res != nil {
				t.Errorf("result %+v, want none: nothing to hand out", res)
			}
			checkUnchanged(t, s, first.Session, "s1/x")
		}
		checkLive(t, s, "s1/1", at(2*time.Minute))
	}},
	{"rotating a rotated token after the grace window is reuse", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		first := rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		for _, d := range []time.Duration{grace, grace + time.Microsecond, time.Hour / 2} {
			res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(time.Minute+d)))
			wantErr(t, "RotateRefreshToken after "+d.String(), err, gatehouse.ErrTokenReused)
			if res == nil || res.Session == nil {
				t.Fatalf("ErrTokenReused with result %+v, want its Session filled in", res)
			}
			checkSession(t, res.Session, first.Session)
			if res.Retry {
				t.Error("reuse reported as a retry")
			}
			checkUnchanged(t, s, first.Session, "s1/x")
		}
		// The store does not revoke: that is the caller's decision.
		checkLive(t, s, "s1/1", at(2*time.Minute))
	}},
	{"only the most recently rotated token is a retry", func(t *testing.T, s gatehouse.Store) {
		// Without a family the older token keeps its row (with one, it is
		// deleted: "rotation keeps at most two rows per session with a
		// family"), so the store itself tells it from the latest.
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		sess.FamilyHash = nil
		storeSession(t, s, sess, first)
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		rotate(t, s, "s1/1", "s1/2", at(time.Minute+time.Second))
		now := at(time.Minute + 2*time.Second) // within the grace of both rotations
		res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", now))
		wantErr(t, "RotateRefreshToken of the older token", err, gatehouse.ErrTokenReused)
		if res == nil || res.Session == nil || res.Session.ID != "s1" {
			t.Errorf("ErrTokenReused with result %+v, want session s1", res)
		}
		res, err = s.RotateRefreshToken(ctx, rotation("s1/1", "s1/y", now))
		must(t, "RotateRefreshToken of the latest rotated token", err)
		if !res.Retry || !bytes.Equal(res.SealedSuccessor, []byte("sealed:s1/2")) {
			t.Errorf("result = %+v, want Retry with the sealed s1/2", res)
		}
	}},
	{"rotation of a revoked session is ErrSessionEnded", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(time.Minute)))
		before, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		_, err = s.RotateRefreshToken(ctx, rotation("s1/0", "s1/1", at(2*time.Minute)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrSessionEnded)
		checkUnchanged(t, s, before, "s1/1")
	}},
	{"a retry within the grace window of a revoked session is ErrSessionEnded", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(time.Minute+time.Second)))
		res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(time.Minute+2*time.Second)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrSessionEnded)
		if res != nil && (res.Retry || res.SealedSuccessor != nil) {
			t.Errorf("an ended session handed out its successor: %+v", res)
		}
	}},
	{"idle-expired session cannot rotate", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		for _, now := range []time.Time{sess.IdleExpiresAt, sess.IdleExpiresAt.Add(time.Hour)} {
			_, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/1", now))
			wantErr(t, "RotateRefreshToken at "+now.Sub(sess.IdleExpiresAt).String()+" past idle expiry", err, gatehouse.ErrSessionEnded)
			checkUnchanged(t, s, sess, "s1/1")
		}
		// A microsecond earlier it could.
		checkLive(t, s, "s1/0", sess.IdleExpiresAt.Add(-time.Microsecond))
	}},
	{"session past ExpiresAt cannot rotate", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		sess.ExpiresAt = at(30 * time.Minute) // before the idle expiry
		storeSession(t, s, sess, first)
		_, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/1", sess.ExpiresAt))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrSessionEnded)
		checkUnchanged(t, s, sess, "s1/1")
	}},
	{"a retry of an expired session is ErrSessionEnded", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		sess.ExpiresAt = at(time.Minute + 5*time.Second)
		storeSession(t, s, sess, first)
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(time.Minute+5*time.Second)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrSessionEnded)
		if res != nil && (res.Retry || res.SealedSuccessor != nil) {
			t.Errorf("an ended session handed out its successor: %+v", res)
		}
	}},
	{"rotating an unknown token is ErrNotFound", func(t *testing.T, s gatehouse.Store) {
		createSession(t, s, "s1", "u1", at(0))
		_, err := s.RotateRefreshToken(context.Background(), rotation("unknown", "s1/1", at(time.Minute)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrNotFound)
		_, err = s.SessionByRefreshHash(context.Background(), hash("s1/1"))
		wantErr(t, "SessionByRefreshHash of the refused successor", err, gatehouse.ErrNotFound)
	}},
	{"rotation to a hash that exists is ErrConflict and changes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(0))
		_, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s2/0", at(time.Minute)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrConflict)
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		checkSession(t, got, sess)
		got, err = s.SessionByRefreshHash(ctx, hash("s2/0"))
		must(t, "SessionByRefreshHash", err)
		if got.ID != "s2" {
			t.Errorf("s2/0 now belongs to %s", got.ID)
		}
		// The old token is still live.
		checkLive(t, s, "s1/0", at(2*time.Minute))
	}},
	{"rotation leaves other sessions alone", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		other, _ := createSession(t, s, "s2", "u1", at(0))
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		got, err := s.Session(ctx, "s2")
		must(t, "Session", err)
		checkSession(t, got, other)
		checkLive(t, s, "s2/0", at(2*time.Minute))
	}},
	{"rotation keeps at most two rows per session with a family", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(0))
		rotate(t, s, "s2/0", "s2/1", at(time.Minute))
		for i := 1; i <= 4; i++ {
			rotate(t, s, "s1/"+strconv.Itoa(i-1), "s1/"+strconv.Itoa(i), at(time.Duration(i)*time.Minute))
			// Stored: the live token and the one it replaced; no older one.
			for j := 0; j <= i; j++ {
				tok := "s1/" + strconv.Itoa(j)
				_, err := s.SessionByRefreshHash(ctx, hash(tok))
				if j >= i-1 {
					must(t, "SessionByRefreshHash("+tok+")", err)
				} else {
					wantErr(t, "SessionByRefreshHash("+tok+") after rotation "+strconv.Itoa(i), err, gatehouse.ErrNotFound)
				}
			}
		}
		// A deleted token is unknown to RotateRefreshToken (the caller
		// recognises it by its family: SessionByFamily).
		_, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(5*time.Minute)))
		wantErr(t, "RotateRefreshToken of a deleted retired token", err, gatehouse.ErrNotFound)
		// The token just replaced is still recognised as reuse.
		_, err = s.RotateRefreshToken(ctx, rotation("s1/3", "s1/x", at(5*time.Minute)))
		wantErr(t, "RotateRefreshToken of the last retired token", err, gatehouse.ErrTokenReused)
		// Other sessions keep theirs.
		for _, tok := range []string{"s2/0", "s2/1"} {
			_, err := s.SessionByRefreshHash(ctx, hash(tok))
			must(t, "SessionByRefreshHash("+tok+") of another session", err)
		}
	}},
	{"a session without a family keeps its retired tokens", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, first := newSession("s1", "u1", at(0))
		sess.FamilyHash = nil // from before tokens carried a family
		storeSession(t, s, sess, first)
		for i := 1; i <= 3; i++ {
			rotate(t, s, "s1/"+strconv.Itoa(i-1), "s1/"+strconv.Itoa(i), at(time.Duration(i)*time.Minute))
		}
		for i := 0; i <= 3; i++ {
			got, err := s.SessionByRefreshHash(ctx, hash("s1/"+strconv.Itoa(i)))
			must(t, "SessionByRefreshHash(s1/"+strconv.Itoa(i)+")", err)
			if got.ID != "s1" || got.FamilyHash != nil {
				t.Errorf("SessionByRefreshHash(s1/%d) = %s with family %x, want s1 without", i, got.ID, got.FamilyHash)
			}
		}
		// Its rows are its only record of them: the oldest is reuse.
		_, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(4*time.Minute)))
		wantErr(t, "RotateRefreshToken of the first token", err, gatehouse.ErrTokenReused)
	}},
	{"rotation of a token of a disabled user is ErrSessionEnded and writes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(0))
		rotate(t, s, "s2/0", "s2/1", at(time.Minute))
		u, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		u.Disabled, u.UpdatedAt = true, at(time.Minute) // without an epoch move
		_, err = s.UpdateUser(ctx, u, "disabled")
		must(t, "UpdateUser", err)
		before, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		_, err = s.RotateRefreshToken(ctx, rotation("s1/0", "s1/1", at(2*time.Minute)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrSessionEnded)
		checkUnchanged(t, s, before, "s1/1")
		// Nor is a retry within the grace window handed its successor.
		res, err := s.RotateRefreshToken(ctx, rotation("s2/0", "s2/x", at(time.Minute+time.Second)))
		wantErr(t, "RotateRefreshToken (retry)", err, gatehouse.ErrSessionEnded)
		if res != nil && (res.Retry || res.SealedSuccessor != nil) {
			t.Errorf("a disabled user's session handed out its successor: %+v", res)
		}
		// Enabled again (in the same epoch), the session goes on.
		u.Disabled, u.UpdatedAt = false, at(3*time.Minute)
		_, err = s.UpdateUser(ctx, u, "enabled")
		must(t, "UpdateUser", err)
		checkLive(t, s, "s1/0", at(4*time.Minute))
	}},
	{"rotation of a token of a user in another epoch is ErrSessionEnded and writes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(0))
		rotate(t, s, "s2/0", "s2/1", at(time.Minute))
		moveEpoch(t, s, "u1", "password changed", at(time.Minute+time.Second))
		before, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		_, err = s.RotateRefreshToken(ctx, rotation("s1/0", "s1/1", at(2*time.Minute)))
		wantErr(t, "RotateRefreshToken", err, gatehouse.ErrSessionEnded)
		checkUnchanged(t, s, before, "s1/1")
		res, err := s.RotateRefreshToken(ctx, rotation("s2/0", "s2/x", at(time.Minute+2*time.Second)))
		wantErr(t, "RotateRefreshToken (retry)", err, gatehouse.ErrSessionEnded)
		if res != nil && (res.Retry || res.SealedSuccessor != nil) {
			t.Errorf("a session of an old epoch handed out its successor: %+v", res)
		}
		// Reuse of a retired token of an ended session is not reuse either.
		_, err = s.RotateRefreshToken(ctx, rotation("s2/0", "s2/x", at(time.Hour)))
		wantErr(t, "RotateRefreshToken (replay)", err, gatehouse.ErrSessionEnded)
	}},
	{"rotation records last IP, user agent and the later access expiry", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		r := rotation("s1/0", "s1/1", at(time.Minute))
		r.AccessExpiresAt = at(time.Hour)
		res, err := s.RotateRefreshToken(ctx, r)
		must(t, "RotateRefreshToken", err)
		checkTime(t, "AccessExpiresAt", res.Session.AccessExpiresAt, at(time.Hour))
		if res.Session.LastIP != refreshIP || res.Session.LastUserAgent != refreshAgent {
			t.Errorf("last used from %q (%q), want %q (%q)", res.Session.LastIP, res.Session.LastUserAgent, refreshIP, refreshAgent)
		}
		if res.Session.IP != sess.IP || res.Session.UserAgent != sess.UserAgent {
			t.Errorf("login from %q (%q), want the unchanged %q (%q)", res.Session.IP, res.Session.UserAgent, sess.IP, sess.UserAgent)
		}
		// A shorter access token does not take the expiry back.
		r = rotation("s1/1", "s1/2", at(2*time.Minute))
		r.AccessExpiresAt = at(20 * time.Minute)
		r.IP, r.UserAgent = "2001:db8::9", "other-agent/3"
		res, err = s.RotateRefreshToken(ctx, r)
		must(t, "RotateRefreshToken", err)
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		for _, sess := range []*gatehouse.Session{res.Session, got} {
			checkTime(t, "AccessExpiresAt", sess.AccessExpiresAt, at(time.Hour))
			if sess.LastIP != "2001:db8::9" || sess.LastUserAgent != "other-agent/3" {
				t.Errorf("last used from %q (%q), want the latest refresh's", sess.LastIP, sess.LastUserAgent)
			}
		}
	}},
	{"DropSealedSuccessors drops only those rotated before the cutoff", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for i, id := range []string{"a", "b", "c"} {
			createSession(t, s, id, "u1", at(0))
			rotate(t, s, id+"/0", id+"/1", at(time.Duration(i+1)*time.Minute))
		}
		n, err := s.DropSealedSuccessors(ctx, at(2*time.Minute))
		must(t, "DropSealedSuccessors", err)
		if n != 1 {
			t.Errorf("DropSealedSuccessors = %d, want 1 (a's, rotated before the cutoff)", n)
		}
		n, err = s.DropSealedSuccessors(ctx, at(2*time.Minute))
		must(t, "DropSealedSuccessors again", err)
		if n != 0 {
			t.Errorf("DropSealedSuccessors again = %d, want 0", n)
		}
		// b was rotated at the cutoff, not before: its retry still gets it.
		res, err := s.RotateRefreshToken(ctx, rotation("b/0", "b/x", at(2*time.Minute+time.Second)))
		must(t, "retry of b", err)
		if !res.Retry || !bytes.Equal(res.SealedSuccessor, []byte("sealed:b/1")) {
			t.Errorf("retry of b = %+v, want Retry with the sealed b/1", res)
		}
		// The live tokens were not touched.
		for _, id := range []string{"a", "b", "c"} {
			checkLive(t, s, id+"/1", at(5*time.Minute))
		}
	}},
	{"a retry after its sealed successor was dropped is a retry without a successor", func(t *testing.T, s gatehouse.Store) {
		// Dropping happens only past the grace window (by the clock of
		// whoever drops): a retry that finds it gone is one whose clock is
		// behind. The store reports what is stored — a retry with no sealed
		// successor — and nothing else changes: the session package fails
		// closed on an empty seal (invalid_grant, no successor handed out)
		// without revoking the session, and the live token stays live.
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		rotate(t, s, "s1/0", "s1/1", at(time.Minute))
		_, err := s.DropSealedSuccessors(ctx, at(time.Minute+time.Microsecond))
		must(t, "DropSealedSuccessors", err)
		before, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(time.Minute+time.Second)))
		must(t, "RotateRefreshToken (retry)", err)
		if !res.Retry || len(res.SealedSuccessor) != 0 {
			t.Errorf("result = %+v, want Retry without a sealed successor", res)
		}
		checkUnchanged(t, s, before, "s1/x")
		// Past the grace window it is reuse, as always.
		_, err = s.RotateRefreshToken(ctx, rotation("s1/0", "s1/x", at(time.Minute+grace)))
		wantErr(t, "RotateRefreshToken (replay)", err, gatehouse.ErrTokenReused)
		checkLive(t, s, "s1/1", at(2*time.Minute))
	}},
}
