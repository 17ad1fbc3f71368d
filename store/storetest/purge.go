package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

var purgeTests = []test{
	{"Purge removes expired sessions with their tokens and old feed entries", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		now := at(48 * time.Hour)
		cutoff := at(30 * time.Hour)
		// Ended before the cutoff: past ExpiresAt, idle-expired, revoked.
		createSession(t, s, "expired", "u1", at(0)) // ExpiresAt at(24h)
		rotate(t, s, "expired/0", "expired/1", at(time.Minute))
		createSession(t, s, "idle", "u1", at(20*time.Hour)) // IdleExpiresAt at(21h)
		createSession(t, s, "revoked", "u1", at(25*time.Hour))
		must(t, "RevokeSession", s.RevokeSession(ctx, "revoked", "logout", at(26*time.Hour))) // forgettable at once
		// Ended after the cutoff, or not at all: kept.
		createSession(t, s, "recent", "u1", at(29*time.Hour+30*time.Minute)) // idle-expired at(30h30m)
		late, first := newSession("revoked-late", "u1", at(29*time.Hour))
		late.AccessExpiresAt = now.Add(time.Hour) // its sid entry outlives now
		storeSession(t, s, late, first)
		must(t, "RevokeSession", s.RevokeSession(ctx, "revoked-late", "logout", at(31*time.Hour)))
		createSession(t, s, "live", "u1", now.Add(-time.Minute))
		// Feed: the revocations above, and access tokens.
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "forgettable", at(0), now.Add(-time.Microsecond)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "kept", at(0), now.Add(time.Minute)))

		stats, err := s.Purge(ctx, now, cutoff)
		must(t, "Purge", err)
		if stats.Sessions != 3 || stats.Revocations != 2 {
			t.Errorf("Purge = %+v, want 3 sessions and 2 feed entries (sid:revoked, jti:forgettable)", stats)
		}
		for _, id := range []string{"expired", "idle", "revoked"} {
			_, err := s.Session(ctx, id)
			wantErr(t, "Session("+id+")", err, gatehouse.ErrNotFound)
		}
		for _, tok := range []string{"expired/0", "expired/1", "idle/0", "revoked/0"} {
			_, err := s.SessionByRefreshHash(ctx, hash(tok))
			wantErr(t, "SessionByRefreshHash("+tok+")", err, gatehouse.ErrNotFound)
		}
		for _, id := range []string{"recent", "revoked-late", "live"} {
			if _, err := s.Session(ctx, id); err != nil {
				t.Errorf("Session(%s): %v, want kept", id, err)
			}
		}
		if got, want := values(feed(t, s, at(0))), []string{"sid:revoked-late", "jti:kept"}; !slices.Equal(got, want) {
			t.Errorf("feed = %q, want %q", got, want)
		}
		if ok, err := s.IsRevoked(ctx, "forgettable", ""); err != nil || ok {
			t.Errorf("IsRevoked(forgettable) = %v, %v; want purged", ok, err)
		}
		checkLive(t, s, "live/0", now)
	}},
	{"Purge of a store with nothing to purge removes nothing", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		stats, err := s.Purge(ctx, at(0), at(0))
		must(t, "Purge", err)
		if stats != (gatehouse.PurgeStats{}) {
			t.Errorf("Purge of an empty store = %+v", stats)
		}
		createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Hour)))
		stats, err = s.Purge(ctx, at(time.Minute), at(time.Minute))
		must(t, "Purge", err)
		if stats != (gatehouse.PurgeStats{}) {
			t.Errorf("Purge = %+v, want nothing removed", stats)
		}
	}},
	{"Purge twice removes nothing the second time", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Hour)))
		stats, err := s.Purge(ctx, at(48*time.Hour), at(48*time.Hour))
		must(t, "Purge", err)
		if stats != (gatehouse.PurgeStats{Sessions: 1, Revocations: 1}) {
			t.Errorf("Purge = %+v, want one of each", stats)
		}
		stats, err = s.Purge(ctx, at(48*time.Hour), at(48*time.Hour))
		must(t, "Purge again", err)
		if stats != (gatehouse.PurgeStats{}) {
			t.Errorf("Purge again = %+v, want nothing", stats)
		}
	}},
	{"Purge keeps users, and their epoch entry until it is forgettable", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		moved, _ := moveEpoch(t, s, "u1", "password changed", at(time.Minute))
		forget := gatehouse.ForgetAt(at(time.Minute), at(accessTTL))
		stats, err := s.Purge(ctx, forget, at(2*time.Minute))
		must(t, "Purge", err)
		if stats != (gatehouse.PurgeStats{Sessions: 1}) {
			t.Errorf("Purge = %+v, want the revoked session only", stats)
		}
		if got, want := values(feed(t, s, forget)), []string{"sid:s1", "user:u1"}; !equalSorted(got, want) {
			t.Errorf("feed at ForgetAt = %q, want %q", got, want)
		}
		stats, err = s.Purge(ctx, forget.Add(time.Microsecond), at(2*time.Minute))
		must(t, "Purge", err)
		if stats != (gatehouse.PurgeStats{Revocations: 2}) {
			t.Errorf("Purge after ForgetAt = %+v, want the two entries", stats)
		}
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, moved)
		// The user logs in again under its epoch.
		createSession(t, s, "s2", "u1", at(time.Hour))
	}},
	{"PurgeEvents deletes the events recorded before the cutoff, and only those", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for _, e := range []struct {
			kind string
			at   time.Duration
		}{{"old-1", 0}, {"old-2", time.Hour}, {"at-cutoff", 2 * time.Hour}, {"new", 3 * time.Hour}} {
			must(t, "RecordEvent", s.RecordEvent(ctx, &gatehouse.Event{Time: at(e.at), Kind: e.kind, UserID: "u1"}))
		}
		n, err := s.PurgeEvents(ctx, at(2*time.Hour))
		must(t, "PurgeEvents", err)
		if n != 2 {
			t.Errorf("PurgeEvents = %d, want 2", n)
		}
		es, err := s.Events(ctx, "", 0, 10)
		must(t, "Events", err)
		var kinds []string
		for _, e := range es {
			kinds = append(kinds, e.Kind)
		}
		if want := []string{"new", "at-cutoff"}; !slices.Equal(kinds, want) {
			t.Errorf("events left = %q, want %q", kinds, want)
		}
		n, err = s.PurgeEvents(ctx, at(2*time.Hour))
		if err != nil || n != 0 {
			t.Errorf("PurgeEvents again = %d, %v; want nothing", n, err)
		}
		n, err = s.PurgeEvents(ctx, at(0))
		if err != nil || n != 0 {
			t.Errorf("PurgeEvents before every event = %d, %v; want nothing", n, err)
		}
	}},
	{"PurgeEvents of a store without events removes nothing", func(t *testing.T, s gatehouse.Store) {
		n, err := s.PurgeEvents(context.Background(), at(time.Hour))
		if err != nil || n != 0 {
			t.Errorf("PurgeEvents = %d, %v; want nothing", n, err)
		}
	}},
	{"Ping answers", func(t *testing.T, s gatehouse.Store) {
		must(t, "Ping", s.Ping(context.Background()))
	}},
}
