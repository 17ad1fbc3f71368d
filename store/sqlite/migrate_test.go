package sqlite_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// openAt opens a store on a new file migrated to version only.
func openAt(t *testing.T, version int64) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, err := s.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	return s
}

func exec(t *testing.T, s *sqlite.Store, query string, args ...any) {
	t.Helper()
	if err := s.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// feedState is the feed's entries (kind:value by cursor) and the
// AUTOINCREMENT high-water mark of its cursors.
func feedState(t *testing.T, s *sqlite.Store) (map[int64]string, int64) {
	t.Helper()
	ctx := context.Background()
	rs, err := s.Revocations(ctx, 0, 1000, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64]string{}
	for _, r := range rs {
		m[r.Cursor] = r.Kind + ":" + r.Value
	}
	seq, err := s.QueryInt(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'revocations'`)
	if err != nil {
		t.Fatalf("sqlite_sequence of revocations: %v", err)
	}
	return m, seq
}

// legacyData writes, in the schema of 00001, what a deployment had: a user
// with an active session whose token was rotated once, a revoked session
// and its feed entry, and feed entries of which the newest two were purged,
// so that the AUTOINCREMENT high-water mark (5) is above every cursor left.
func legacyData(t *testing.T, s *sqlite.Store) {
	t.Helper()
	us := func(d time.Duration) int64 { return t0.Add(d).UnixMicro() }
	exec(t, s, `INSERT INTO users (id, username, password_hash, scopes, disabled, created_at, updated_at, password_changed_at)
		VALUES ('u1', 'alice', 'hash-a', 'read write', 0, ?1, ?1, ?1), ('u2', 'bob', 'hash-b', '', 1, ?1, ?1, ?1)`, us(0))
	exec(t, s, `INSERT INTO sessions (id, user_id, client_id, scopes, auth_time, created_at, last_used_at,
		idle_expires_at, expires_at, user_agent, ip, revoked_at, revoke_reason)
		VALUES ('s1', 'u1', 'gatehouse', 'read', ?1, ?1, ?2, ?3, ?4, 'agent/1', '192.0.2.1', NULL, ''),
		       ('s2', 'u1', 'gatehouse', 'read', ?1, ?1, ?1, ?3, ?4, 'agent/1', '192.0.2.1', ?2, 'logout')`,
		us(0), us(time.Minute), us(time.Hour+time.Minute), us(24*time.Hour))
	exec(t, s, `INSERT INTO refresh_tokens (hash, session_id, created_at, rotated_at, successor_hash, sealed_successor)
		VALUES (X'5130', 's1', ?1, ?2, X'5131', X'AA'), (X'5131', 's1', ?2, NULL, NULL, NULL), (X'5230', 's2', ?1, NULL, NULL, NULL)`,
		us(0), us(time.Minute))
	for _, e := range []struct{ kind, value string }{{"jti", "j1"}, {"jti", "j2"}, {"sid", "s2"}, {"jti", "j4"}, {"jti", "j5"}} {
		exec(t, s, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES (?, ?, ?, ?)`,
			e.kind, e.value, us(time.Minute), us(time.Hour))
	}
	exec(t, s, `DELETE FROM revocations WHERE value IN ('j4', 'j5')`)
}

func TestMigrateFrom00001KeepsDataCursorsAndHighWaterMark(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, 1)
	legacyData(t, s)
	before, seq := feedState(t, s)
	if seq != 5 || len(before) != 3 {
		t.Fatalf("legacy feed %v, high-water mark %d; want 3 entries and 5", before, seq)
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate from 00001: %v", err)
	}
	after, seqAfter := feedState(t, s)
	if !equalMaps(after, before) || seqAfter != seq {
		t.Fatalf("feed %v, high-water mark %d after migrating; want %v and %d", after, seqAfter, before, seq)
	}
	// A new entry gets a cursor above every cursor ever handed out.
	if err := s.RevokeAccessToken(ctx, "j6", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Revocations(ctx, 3, 10, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Value != "j6" || rs[0].Cursor <= seq {
		t.Fatalf("new entry %+v, want j6 with a cursor above %d", rs, seq)
	}

	// Users from before: Version 1, the zero epoch.
	us, err := s.ListUsers(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Version != 1 || !u.Epoch.IsZero() {
			t.Errorf("user %s: Version %d, Epoch %v; want 1 and zero", u.ID, u.Version, u.Epoch)
		}
	}
	// Sessions from before: their access tokens expire with them at the
	// latest, last used from where they logged in, zero epoch, no family.
	for _, id := range []string{"s1", "s2"} {
		sess, err := s.Session(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !sess.AccessExpiresAt.Equal(sess.ExpiresAt) || sess.LastIP != sess.IP || sess.LastUserAgent != sess.UserAgent ||
			!sess.Epoch.IsZero() || sess.FamilyHash != nil {
			t.Errorf("legacy session %s = %+v", id, sess)
		}
	}
	st, err := s.TokenState(ctx, "s1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !gatehouse.SessionValid(st.Session, st.User, t0.Add(2*time.Minute)) {
		t.Errorf("legacy session s1 of an enabled user is not valid: %+v", st)
	}
	// The legacy session goes on, keeping its retired rows (no family).
	now := t0.Add(2 * time.Minute)
	res, err := s.RotateRefreshToken(ctx, &gatehouse.Rotation{ClientID: gatehouse.FirstPartyClientID, OldHash: []byte("Q1"),
		Next: gatehouse.RefreshToken{Hash: []byte("Q2"), CreatedAt: now}, SealedNext: []byte("sealed"),
		Now: now, Grace: 10 * time.Second, IdleTTL: time.Hour, AccessExpiresAt: now.Add(15 * time.Minute)})
	if err != nil || res.Retry {
		t.Fatalf("rotating the legacy live token: %+v, %v", res, err)
	}
	if _, err := s.SessionByRefreshHash(ctx, []byte("Q0")); err != nil {
		t.Errorf("a legacy session's retired token was deleted: %v", err)
	}
	// Legacy users log in, and are written, as any other.
	sess := &gatehouse.Session{ID: "s3", UserID: "u1", ClientID: "gatehouse", AuthTime: now, CreatedAt: now,
		LastUsedAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(24 * time.Hour), AccessExpiresAt: now.Add(15 * time.Minute)}
	if err := s.CreateSession(ctx, sess, &gatehouse.RefreshToken{Hash: []byte("S3"), SessionID: "s3", CreatedAt: now}); err != nil {
		t.Fatalf("login of a legacy user in the zero epoch: %v", err)
	}
	u := us[0]
	u.Epoch, u.UpdatedAt = gatehouse.NextEpoch(now, u.Epoch), now
	if n, err := s.UpdateUser(ctx, u, "password changed"); err != nil || n != 2 {
		t.Fatalf("UpdateUser of a legacy user = %d, %v; want 2 sessions ended (s1, s3)", n, err)
	}
}

func TestMigrationDownOf00002(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, 1)
	legacyData(t, s)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Data of 00002: a session with a family, an epoch move and its user
	// entry.
	now := t0.Add(2 * time.Minute)
	sess := &gatehouse.Session{ID: "s3", UserID: "u1", ClientID: "gatehouse", AuthTime: now, CreatedAt: now,
		LastUsedAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(24 * time.Hour),
		FamilyHash: []byte("family"), AccessExpiresAt: now.Add(15 * time.Minute)}
	if err := s.CreateSession(ctx, sess, &gatehouse.RefreshToken{Hash: []byte("S3"), SessionID: "s3", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByID(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	u.Epoch, u.UpdatedAt = gatehouse.NextEpoch(now, u.Epoch), now
	if _, err := s.UpdateUser(ctx, u, "password changed"); err != nil {
		t.Fatal(err)
	}
	full, seq := feedState(t, s)

	p, err := s.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 1); err != nil { // through the Down of every later migration
		t.Fatalf("Down of 00002: %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != 1 {
		t.Fatalf("version after Down = %d, %v; want 1", v, err)
	}
	// The jti and sid entries keep their cursors; the user entries, which
	// 00001 cannot hold, are gone; the high-water mark stays.
	want := map[int64]string{}
	for c, e := range full {
		if e != "user:u1" {
			want[c] = e
		}
	}
	if len(want) != len(full)-1 {
		t.Fatalf("feed before Down %v, want one user entry", full)
	}
	if got, mark := feedState(t, s); !equalMaps(got, want) || mark != seq {
		t.Fatalf("feed %v, high-water mark %d after Down; want %v and %d", got, mark, want, seq)
	}
	exec(t, s, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('jti', 'down', 0, 0)`)
	if c, err := s.QueryInt(ctx, `SELECT cursor FROM revocations WHERE value = 'down'`); err != nil || c <= seq {
		t.Errorf("cursor of an entry written after Down = %d, %v; want above %d", c, err, seq)
	}
	// The 00001 schema is whole: its columns only.
	if err := s.Exec(ctx, `SELECT epoch FROM users`); err == nil {
		t.Error("users.epoch survived Down")
	}
	// And up again.
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after Down: %v", err)
	}
	if _, err := s.Session(ctx, "s3"); err != nil {
		t.Errorf("session lost by Down and Up: %v", err)
	}
}

func equalMaps(a, b map[int64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestMigrateTo00003KeepsUsersAndClientsAndDownAgain(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, 2)
	legacyData(t, s)
	exec(t, s, `INSERT INTO clients (id, name, secret_hash, public, created_at) VALUES ('c1', 'api', 'h', 0, ?)`, t0.UnixMicro())
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate from 00002: %v", err)
	}
	u, err := s.UserByID(ctx, "u1")
	if err != nil || u.Claims != nil || u.Username != "alice" {
		t.Fatalf("user from before 00003 = %+v, %v; want alice without claims", u, err)
	}
	c, err := s.ClientByID(ctx, "c1")
	if err != nil || c.Scopes != nil || c.Audience != nil || c.AccessTTL != 0 || !c.Epoch.IsZero() || !c.AccessExpiresAt.IsZero() {
		t.Fatalf("client from before 00003 = %+v, %v; want no scopes, audience or lifetime, zero epoch and expiry", c, err)
	}
	u.Claims = map[string]json.RawMessage{"role": json.RawMessage(`"admin"`)}
	if _, err := s.UpdateUser(ctx, u, "claims"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatalf("Down of 00003: %v", err)
	}
	if err := s.Exec(ctx, `SELECT claims FROM users`); err == nil {
		t.Error("users.claims survived Down")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after Down: %v", err)
	}
	if u, err := s.UserByID(ctx, "u1"); err != nil || u.Claims != nil {
		t.Errorf("after Down and Up: %+v, %v", u, err)
	}
}
