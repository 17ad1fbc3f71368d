package postgres

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse/gatehouse"
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
func legacyKeys(t *testing.T, s *Store) {
	t.Helper()
	exec(t, s, `INSERT INTO signing_keys (id, algorithm, private_key, state, created_at, retired_at)
		VALUES ('old', 'ES256', '\x6f6c64', 'retired', $1, $2), ('cur', 'EdDSA', '\x637572', 'active', $2, NULL),
		       ('nxt', 'EdDSA', '\x6e7874', 'next', $2, NULL)`, t0.Add(-48*time.Hour), t0.Add(-time.Hour))
}

func TestMigrateTo00004KeepsFeedAndKeys(t *testing.T) {
	ctx := context.Background()
	s, p := openAt(t, 1)
	legacyData(t, s)
	if _, err := p.UpTo(ctx, before(t, p, keysVersion)); err != nil {
		t.Fatal(err)
	}
	legacyKeys(t, s)
	exec(t, s, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('user', 'u2', $1, $1)`, t0.Add(time.Hour))
	before := feedEntries(t, s)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate to 00004: %v", err)
	}
	if after := feedEntries(t, s); !maps.Equal(after, before) {
		t.Fatalf("feed %v after migrating, want %v", after, before)
	}
	var last int64
	for c := range before {
		last = max(last, c)
	}
	var c int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at)
		VALUES ('kid', 'k', now(), now()) RETURNING cursor`).Scan(&c); err != nil || c <= last {
		t.Fatalf("cursor of a kid entry = %d, %v; want above %d", c, err, last)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('key', 'k', now(), now())`); err == nil {
		t.Error("the CHECK constraint accepted kind 'key'")
	}
	pol, keys, err := s.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pol.Algorithm != "EdDSA" || pol.Rotation != 720*time.Hour || pol.JWKSMaxAge != 5*time.Minute || pol.KEKID != "" {
		t.Errorf("policy after migrating = %+v, want EdDSA (the active key's), 720h, 5m, no KEK", pol)
	}
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
}

func TestMigrationDownOf00004(t *testing.T) {
	ctx := context.Background()
	s, p := openAt(t, 1)
	legacyData(t, s)
	if _, err := p.UpTo(ctx, before(t, p, keysVersion)); err != nil {
		t.Fatal(err)
	}
	legacyKeys(t, s)
	// Up to 00004 only: Down then undoes 00004, whatever comes after it.
	if _, err := p.UpTo(ctx, keysVersion); err != nil {
		t.Fatal(err)
	}
	if err := s.SealSigningKeys(ctx, &gatehouse.KeySealing{To: "kek", Keys: []*gatehouse.SigningKey{
		{ID: "old", KEKID: "kek"}, {ID: "cur", PrivateKey: []byte("c"), KEKID: "kek"}, {ID: "nxt", PrivateKey: []byte("n"), KEKID: "kek"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: "nxt", At: t0,
		Replacement: &gatehouse.SigningKey{ID: "new", Algorithm: "EdDSA", PrivateKey: []byte("x"), KEKID: "kek", CreatedAt: t0}}); err != nil {
		t.Fatal(err)
	}
	full := feedEntries(t, s)
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("Down of 00004: %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != before(t, p, keysVersion) {
		t.Fatalf("version after Down = %d, %v; want %d", v, err, before(t, p, keysVersion))
	}
	want := maps.Clone(full)
	maps.DeleteFunc(want, func(_ int64, e string) bool { return e == "kid:nxt" })
	if len(want) != len(full)-1 {
		t.Fatalf("feed before Down %v, want one kid entry", full)
	}
	if got := feedEntries(t, s); !maps.Equal(got, want) {
		t.Fatalf("feed %v after Down, want %v", got, want)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('kid', 'k', now(), now())`); err == nil {
		t.Error("a kid entry was accepted after Down")
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM signing_keys`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d keys after Down (%v), want the 2 with a private part", n, err)
	}
	for _, q := range []string{`SELECT kek_id FROM signing_keys`, `SELECT algorithm FROM key_policy`} {
		if _, err := s.pool.Exec(ctx, q); err == nil {
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
