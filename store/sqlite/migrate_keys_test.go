package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// keysVersion is 00004_key_lifecycle.
const keysVersion = 4

// before is the last migration before version v among p's.
func before(t *testing.T, p *goose.Provider, v int64) int64 {
	t.Helper()
	var prev int64
	for _, src := range p.ListSources() {
		if src.Version < v {
			prev = max(prev, src.Version)
		}
	}
	if prev == 0 {
		t.Fatalf("no migration before %d", v)
	}
	return prev
}

// legacyKeys writes, in the schema before 00004, the keys a deployment had:
// an EdDSA active key, its next key and a retired key, their private parts
// in the clear (the bytes stand in for PKCS#8 DER).
func legacyKeys(t *testing.T, s *sqlite.Store) {
	t.Helper()
	us := func(d time.Duration) int64 { return t0.Add(d).UnixMicro() }
	exec(t, s, `INSERT INTO signing_keys (id, algorithm, private_key, state, created_at, retired_at)
		VALUES ('old', 'ES256', X'6F6C64', 'retired', ?1, ?2), ('cur', 'EdDSA', X'637572', 'active', ?2, NULL),
		       ('nxt', 'EdDSA', X'6E7874', 'next', ?2, NULL)`, us(-48*time.Hour), us(-time.Hour))
}

func TestMigrateTo00004KeepsFeedAndKeys(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, 1)
	legacyData(t, s)
	p, err := s.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, before(t, p, keysVersion)); err != nil {
		t.Fatal(err)
	}
	legacyKeys(t, s)
	// A user entry of 00002 beside the jti and sid entries of 00001.
	exec(t, s, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('user', 'u2', 0, ?)`, t0.Add(time.Hour).UnixMicro())
	before, seq := feedState(t, s)
	if len(before) != 4 || seq != 6 {
		t.Fatalf("feed before %v, high-water mark %d; want 4 entries and 6", before, seq)
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate to 00004: %v", err)
	}
	after, seqAfter := feedState(t, s)
	if !equalMaps(after, before) || seqAfter != seq {
		t.Fatalf("feed %v, high-water mark %d after migrating; want %v and %d", after, seqAfter, before, seq)
	}
	// The feed takes kid entries, above every cursor ever handed out.
	exec(t, s, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('kid', 'k', 0, 0)`)
	if c, err := s.QueryInt(ctx, `SELECT cursor FROM revocations WHERE kind = 'kid'`); err != nil || c <= seq {
		t.Fatalf("cursor of a kid entry = %d, %v; want above %d", c, err, seq)
	}
	if err := s.Exec(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('key', 'k', 0, 0)`); err == nil {
		t.Error("the CHECK constraint accepted kind 'key'")
	}

	// The policy's algorithm is the active key's; nothing is sealed yet.
	pol, keys, err := s.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pol.Algorithm != "EdDSA" || pol.Rotation != 720*time.Hour || pol.JWKSMaxAge != 5*time.Minute || pol.KEKID != "" {
		t.Errorf("policy after migrating = %+v, want EdDSA (the active key's), 720h, 5m, no KEK", pol)
	}
	// Keys from before began to sign when created, and every token they
	// signed expires by the latest access_expires_at of a session (s1 and
	// s2 expire at t0+24h: 00002 set their access_expires_at to that).
	byID := map[string]*gatehouse.SigningKey{}
	for _, k := range keys {
		byID[k.ID] = k
	}
	for _, tc := range []struct {
		id               string
		activated, until time.Time
	}{
		{"old", t0.Add(-48 * time.Hour), t0.Add(24 * time.Hour)},
		{"cur", t0.Add(-time.Hour), t0.Add(24 * time.Hour)},
		{"nxt", time.Time{}, time.Time{}},
	} {
		k := byID[tc.id]
		if k == nil || k.KEKID != "" || string(k.PrivateKey) != tc.id || k.PublicKey != nil ||
			!k.ActivatedAt.Equal(tc.activated) || !k.SignedUntil.Equal(tc.until) {
			t.Errorf("key %s after migrating = %+v; want in the clear, activated %v, signed until %v", tc.id, k, tc.activated, tc.until)
		}
	}
	// The first sealing adopts a KEK for them.
	sealed := []*gatehouse.SigningKey{}
	for _, k := range keys {
		sealed = append(sealed, &gatehouse.SigningKey{ID: k.ID, PublicKey: []byte("pub"), PrivateKey: []byte("sealed"), KEKID: "kek"})
	}
	if err := s.SealSigningKeys(ctx, &gatehouse.KeySealing{To: "kek", Keys: sealed}); err != nil {
		t.Fatalf("sealing the keys from before: %v", err)
	}
	if n, err := s.QueryInt(ctx, `SELECT count(*) FROM signing_keys WHERE kek_id = 'kek' AND private_key = X'7365616C6564'`); err != nil || n != 2 {
		t.Errorf("%d keys sealed (%v), want the active and next keys (the retired one keeps none)", n, err)
	}
}

func TestMigrationDownOf00004(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, 1)
	legacyData(t, s)
	p, err := s.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, before(t, p, keysVersion)); err != nil {
		t.Fatal(err)
	}
	legacyKeys(t, s)
	// Up to 00004 only: Down then undoes 00004, whatever comes after it.
	if _, err := p.UpTo(ctx, keysVersion); err != nil {
		t.Fatal(err)
	}
	// Data of 00004: a retired key whose private part is destroyed, and a
	// revoked key's kid entry.
	if err := s.SealSigningKeys(ctx, &gatehouse.KeySealing{To: "kek", Keys: []*gatehouse.SigningKey{
		{ID: "old", KEKID: "kek"}, {ID: "cur", PrivateKey: []byte("c"), KEKID: "kek"}, {ID: "nxt", PrivateKey: []byte("n"), KEKID: "kek"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "nxt", At: t0,
		Replacement: &gatehouse.SigningKey{ID: "new", Algorithm: "EdDSA", PrivateKey: []byte("x"), KEKID: "kek", CreatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	full, seq := feedState(t, s)

	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("Down of 00004: %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != before(t, p, keysVersion) {
		t.Fatalf("version after Down = %d, %v; want %d", v, err, before(t, p, keysVersion))
	}
	// Every entry but the kid one keeps its cursor; the mark stays.
	want := map[int64]string{}
	for c, e := range full {
		if e != "kid:nxt" {
			want[c] = e
		}
	}
	if len(want) != len(full)-1 {
		t.Fatalf("feed before Down %v, want one kid entry", full)
	}
	if got, mark := feedState(t, s); !equalMaps(got, want) || mark != seq {
		t.Fatalf("feed %v, high-water mark %d after Down; want %v and %d", got, mark, want, seq)
	}
	if err := s.Exec(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('kid', 'k', 0, 0)`); err == nil {
		t.Error("a kid entry was accepted after Down")
	}
	// The destroyed key is gone; the sealed ones stay (the version before
	// cannot open them: it refuses to start).
	if n, err := s.QueryInt(ctx, `SELECT count(*) FROM signing_keys`); err != nil || n != 2 {
		t.Errorf("%d keys after Down (%v), want the 2 with a private part", n, err)
	}
	for _, q := range []string{`SELECT kek_id FROM signing_keys`, `SELECT algorithm FROM key_policy`} {
		if err := s.Exec(ctx, q); err == nil {
			t.Errorf("%s: survived Down", q)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after Down: %v", err)
	}
	if _, _, err := s.SigningKeys(ctx); err != nil {
		t.Fatalf("SigningKeys after Down and Up: %v", err)
	}
}
