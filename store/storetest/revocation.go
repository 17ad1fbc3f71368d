package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// feed is the whole feed at now.
func feed(t *testing.T, s gatehouse.Store, now time.Time) []gatehouse.Revocation {
	t.Helper()
	rs, err := s.Revocations(context.Background(), 0, 1000, now)
	must(t, "Revocations", err)
	return rs
}

// values are the kind:value of each entry, in order.
func values(rs []gatehouse.Revocation) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Kind + ":" + r.Value
	}
	return out
}

var revocationTests = []test{
	{"RevokeSession marks the session revoked", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		sess, _ := createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(time.Minute)))
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		want := *sess
		want.RevokedAt, want.RevokeReason = at(time.Minute), "logout"
		checkSession(t, got, &want)
		if got.Active(at(2 * time.Minute)) {
			t.Error("revoked session is active")
		}
	}},
	{"revoked session appears in the revocation feed", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(time.Minute)))
		rs := feed(t, s, at(time.Minute))
		if len(rs) != 1 || rs[0].Kind != gatehouse.RevokeSID || rs[0].Value != "s1" || rs[0].Cursor <= 0 {
			t.Fatalf("feed = %+v, want one sid entry for s1 with a positive cursor", rs)
		}
		checkTime(t, "Time", rs[0].Time, at(time.Minute))
		checkTime(t, "ForgetAt", rs[0].ForgetAt, gatehouse.ForgetAt(at(time.Minute), at(accessTTL)))
	}},
	{"RevokeSession forget time comes from the session's AccessExpiresAt, not the caller", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		// s1: refreshed at +10m, its latest access token expires at +25m.
		createSession(t, s, "s1", "u1", at(0))
		rotate(t, s, "s1/0", "s1/1", at(10*time.Minute))
		// s2: its only access token expired at +15m.
		createSession(t, s, "s2", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(12*time.Minute)))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s2", "logout", at(30*time.Minute)))
		forget := map[string]time.Time{}
		for _, r := range feed(t, s, at(0)) {
			forget[r.Value] = r.ForgetAt
		}
		checkTime(t, "s1 ForgetAt", forget["s1"], at(25*time.Minute).Add(gatehouse.RevocationMargin))
		checkTime(t, "s2 ForgetAt (never before the revocation)", forget["s2"], at(30*time.Minute))
	}},
	{"revoking a revoked session is not an error and keeps the first revocation", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(time.Minute)))
		first := feed(t, s, at(0))
		must(t, "RevokeSession again", s.RevokeSession(ctx, "s1", "admin", at(2*time.Minute)))
		got, err := s.Session(ctx, "s1")
		must(t, "Session", err)
		checkTime(t, "RevokedAt", got.RevokedAt, at(time.Minute))
		if got.RevokeReason != "logout" {
			t.Errorf("RevokeReason = %q, want the first one", got.RevokeReason)
		}
		rs := feed(t, s, at(0))
		if len(rs) != 1 || rs[0].Cursor != first[0].Cursor {
			t.Fatalf("feed = %+v, want the one entry %+v", rs, first)
		}
		checkTime(t, "ForgetAt", rs[0].ForgetAt, first[0].ForgetAt)
		// Revoked again long after, the entry is kept, never shortened.
		must(t, "RevokeSession at +1h", s.RevokeSession(ctx, "s1", "admin", at(time.Hour)))
		rs = feed(t, s, at(0))
		if len(rs) != 1 || rs[0].Cursor != first[0].Cursor {
			t.Fatalf("feed = %+v, want the one entry %+v", rs, first)
		}
		checkTime(t, "Time", rs[0].Time, at(time.Minute))
		if rs[0].ForgetAt.Before(first[0].ForgetAt) {
			t.Errorf("ForgetAt %v, before the first revocation's %v", rs[0].ForgetAt, first[0].ForgetAt)
		}
	}},
	{"RevokeSession of an unknown session is ErrNotFound and adds nothing to the feed", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		wantErr(t, "RevokeSession", s.RevokeSession(ctx, "nope", "logout", at(0)), gatehouse.ErrNotFound)
		if rs := feed(t, s, at(0)); len(rs) != 0 {
			t.Errorf("feed = %q, want empty", values(rs))
		}
	}},
	{"RevokeAccessToken twice is not an error and keeps one entry", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "jti-1", at(0), at(15*time.Minute)))
		first := feed(t, s, at(0))
		must(t, "RevokeAccessToken again", s.RevokeAccessToken(ctx, "jti-1", at(time.Minute), at(10*time.Minute)))
		rs := feed(t, s, at(0))
		if len(rs) != 1 || rs[0].Kind != gatehouse.RevokeJTI || rs[0].Value != "jti-1" || rs[0].Cursor != first[0].Cursor {
			t.Fatalf("feed = %+v, want the one jti entry %+v", rs, first)
		}
		checkTime(t, "Time", rs[0].Time, at(0))
		checkTime(t, "ForgetAt (never shortened)", rs[0].ForgetAt, at(15*time.Minute))
	}},
	{"IsRevoked by jti and by sid", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		createSession(t, s, "s2", "u1", at(0))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "jti-1", at(0), at(time.Hour)))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "logout", at(0)))
		for _, tc := range []struct {
			jti, sid string
			want     bool
		}{
			{"", "", false},
			{"jti-1", "", true},
			{"", "s1", true},
			{"jti-1", "s2", true},
			{"jti-2", "s1", true},
			{"jti-2", "s2", false},
			{"jti-2", "", false},
			{"", "s2", false},
			{"s1", "", false},    // a sid is not a jti
			{"", "jti-1", false}, // nor a jti a sid
		} {
			got, err := s.IsRevoked(ctx, tc.jti, tc.sid)
			must(t, "IsRevoked", err)
			if got != tc.want {
				t.Errorf("IsRevoked(%q, %q) = %v, want %v", tc.jti, tc.sid, got, tc.want)
			}
		}
	}},
	{"feed is in cursor order after since, up to limit", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Hour)))
		must(t, "RevokeSession", s.RevokeSession(ctx, "s1", "x", at(time.Second)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j2", at(2*time.Second), at(time.Hour)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j3", at(3*time.Second), at(time.Hour)))
		all := feed(t, s, at(0))
		if got, want := values(all), []string{"jti:j1", "sid:s1", "jti:j2", "jti:j3"}; !slices.Equal(got, want) {
			t.Fatalf("feed = %q, want %q", got, want)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Cursor <= all[i-1].Cursor {
				t.Fatalf("cursors not increasing: %+v", all)
			}
		}
		rs, err := s.Revocations(ctx, all[0].Cursor, 2, at(0))
		must(t, "Revocations", err)
		if got, want := values(rs), []string{"sid:s1", "jti:j2"}; !slices.Equal(got, want) {
			t.Errorf("Revocations(since first, 2) = %q, want %q", got, want)
		}
		rs, err = s.Revocations(ctx, all[3].Cursor, 10, at(0))
		must(t, "Revocations", err)
		if len(rs) != 0 {
			t.Errorf("Revocations(since last) = %q, want none", values(rs))
		}
	}},
	{"feed leaves out forgettable entries", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "old", at(0), at(time.Minute)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "new", at(0), at(time.Hour)))
		if got, want := values(feed(t, s, at(30*time.Second))), []string{"jti:old", "jti:new"}; !slices.Equal(got, want) {
			t.Errorf("feed before the first ForgetAt = %q, want %q", got, want)
		}
		if got, want := values(feed(t, s, at(time.Minute+time.Microsecond))), []string{"jti:new"}; !slices.Equal(got, want) {
			t.Errorf("feed after the first ForgetAt = %q, want %q", got, want)
		}
		// Forgettable is not forgotten: the store still knows until Purge.
		if ok, err := s.IsRevoked(ctx, "old", ""); err != nil || !ok {
			t.Errorf("IsRevoked(old) = %v, %v; want true until purged", ok, err)
		}
	}},
	{"feed cursors are never reused after a purge", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Minute)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j2", at(0), at(time.Minute)))
		last := feed(t, s, at(0))[1].Cursor
		_, err := s.Purge(ctx, at(time.Hour), at(0))
		must(t, "Purge", err)
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j3", at(time.Hour), at(2*time.Hour)))
		rs, err := s.Revocations(ctx, last, 10, at(time.Hour))
		must(t, "Revocations", err)
		if got, want := values(rs), []string{"jti:j3"}; !slices.Equal(got, want) {
			t.Errorf("a reader at cursor %d sees %q, want %q", last, got, want)
		}
	}},
}
