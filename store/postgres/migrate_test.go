package postgres

import (
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/gatehouse/gatehouse"
)

// openAt opens a store on a new schema migrated to version only, with the
// goose provider that migrated it.
func openAt(t *testing.T, version int64) (*Store, *goose.Provider) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, newSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	return s, p
}

func exec(t *testing.T, s *Store, query string, args ...any) {
	t.Helper()
	if _, err := s.pool.Exec(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// feedEntries are the feed's entries, kind:value by cursor.
func feedEntries(t *testing.T, s *Store) map[int64]string {
	t.Helper()
	rs, err := s.Revocations(context.Background(), 0, 1000, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64]string{}
	for _, r := range rs {
		m[r.Cursor] = r.Kind + ":" + r.Value
	}
	return m
}

// legacyData writes, in the schema of 00001, what a deployment had: a user
// with an active session whose token was rotated once, a revoked session
// and its feed entry, and feed entries of which the newest two were
// purged, so that cursor 5 was handed out and is gone.
func legacyData(t *testing.T, s *Store) {
	t.Helper()
	exec(t, s, `INSERT INTO users (id, username, password_hash, scopes, disabled, created_at, updated_at, password_changed_at)
		VALUES ('u1', 'alice', 'hash-a', 'read write', false, $1, $1, $1), ('u2', 'bob', 'hash-b', '', true, $1, $1, $1)`, t0)
	exec(t, s, `INSERT INTO sessions (id, user_id, client_id, scopes, auth_time, created_at, last_used_at,
		idle_expires_at, expires_at, user_agent, ip, revoked_at, revoke_reason)
		VALUES ('s1', 'u1', 'gatehouse', 'read', $1, $1, $2, $3, $4, 'agent/1', '192.0.2.1', NULL, ''),
		       ('s2', 'u1', 'gatehouse', 'read', $1, $1, $1, $3, $4, 'agent/1', '192.0.2.1', $2, 'logout')`,
		t0, t0.Add(time.Minute), t0.Add(time.Hour+time.Minute), t0.Add(24*time.Hour))
	exec(t, s, `INSERT INTO refresh_tokens (hash, session_id, created_at, rotated_at, successor_hash, sealed_successor)
		VALUES ('\x5130', 's1', $1, $2, '\x5131', '\xaa'), ('\x5131', 's1', $2, NULL, NULL, NULL), ('\x5230', 's2', $1, NULL, NULL, NULL)`,
		t0, t0.Add(time.Minute))
	for _, e := range []struct{ kind, value string }{{"jti", "j1"}, {"jti", "j2"}, {"sid", "s2"}, {"jti", "j4"}, {"jti", "j5"}} {
		exec(t, s, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ($1, $2, $3, $4)`,
			e.kind, e.value, t0.Add(time.Minute), t0.Add(time.Hour))
	}
	exec(t, s, `DELETE FROM revocations WHERE value IN ('j4', 'j5')`)
}

// maxCursorHandedOut is the legacy data's highest cursor, purged since.
const maxCursorHandedOut = 5

func TestMigrateFrom00001KeepsDataAndCursors(t *testing.T) {
	ctx := context.Background()
	s, _ := openAt(t, 1)
	legacyData(t, s)
	before := feedEntries(t, s)
	if len(before) != 3 {
		t.Fatalf("legacy feed %v, want 3 entries", before)
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate from 00001: %v", err)
	}
	if after := feedEntries(t, s); !maps.Equal(after, before) {
		t.Fatalf("feed %v after migrating, want %v", after, before)
	}
	// A new entry gets a cursor above every cursor ever handed out.
	if err := s.RevokeAccessToken(ctx, "j6", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Revocations(ctx, 3, 10, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Value != "j6" || rs[0].Cursor <= maxCursorHandedOut {
		t.Fatalf("new entry %+v, want j6 with a cursor above %d", rs, maxCursorHandedOut)
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
	s, p := openAt(t, 1)
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
	full := feedEntries(t, s)
	var last int64
	for c := range full {
		last = max(last, c)
	}

	if _, err := p.DownTo(ctx, 1); err != nil { // through the Down of every later migration
		t.Fatalf("Down of 00002: %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != 1 {
		t.Fatalf("version after Down = %d, %v; want 1", v, err)
	}
	// The jti and sid entries keep their cursors; the user entries, which
	// 00001 cannot hold, are gone.
	want := maps.Clone(full)
	maps.DeleteFunc(want, func(_ int64, e string) bool { return e == "user:u1" })
	if len(want) != len(full)-1 {
		t.Fatalf("feed before Down %v, want one user entry", full)
	}
	if got := feedEntries(t, s); !maps.Equal(got, want) {
		t.Fatalf("feed %v after Down, want %v", got, want)
	}
	// 00001's CHECK is back, and cursors go on above every one handed out.
	if _, err := s.pool.Exec(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('user', 'x', now(), now())`); err == nil {
		t.Error("a user entry was accepted after Down")
	}
	var c int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at)
		VALUES ('jti', 'down', now(), now()) RETURNING cursor`).Scan(&c); err != nil || c <= last {
		t.Errorf("cursor of an entry written after Down = %d, %v; want above %d", c, err, last)
	}
	if _, err := s.pool.Exec(ctx, `SELECT epoch FROM users`); err == nil {
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

func TestMigrateTo00003KeepsUsersAndClientsAndDownAgain(t *testing.T) {
	ctx := context.Background()
	s, p := openAt(t, 1)
	legacyData(t, s)
	exec(t, s, `INSERT INTO clients (id, name, secret_hash, public, created_at) VALUES ('c1', 'api', 'h', false, $1)`, t0)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
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
	if _, err := p.DownTo(ctx, 2); err != nil {
		t.Fatalf("Down of 00003: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `SELECT claims FROM users`); err == nil {
		t.Error("users.claims survived Down")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after Down: %v", err)
	}
	if u, err := s.UserByID(ctx, "u1"); err != nil || u.Claims != nil {
		t.Errorf("after Down and Up: %+v, %v", u, err)
	}
}
