package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Several replicas starting, purging and rotating keys at once on one
// database. Each replica is its own Store (its own pool).

func replicas(t *testing.T, n int) []*Store {
	t.Helper()
	u := newSchema(t)
	ss := make([]*Store, n)
	for i := range ss {
		s, err := Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ss[i] = s
	}
	return ss
}

// each runs f once per replica, all at once, and returns their errors.
func each(ss []*Store, f func(i int, s *Store) error) []error {
	errs := make([]error, len(ss))
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Go(func() { errs[i] = f(i, s) })
	}
	wg.Wait()
	return errs
}

func TestMigrateConcurrentlyAndTwice(t *testing.T) {
	ctx := context.Background()
	ss := replicas(t, 4)
	for i, err := range each(ss, func(_ int, s *Store) error { return s.Migrate(ctx) }) {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	if err := ss[0].Migrate(ctx); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	if _, err := ss[1].ListUsers(ctx, "", 0); err != nil {
		t.Fatalf("schema not usable after migration: %v", err)
	}
}

func TestPurgeConcurrently(t *testing.T) {
	ctx := context.Background()
	ss := replicas(t, 4)
	if err := ss[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const sessions = 40
	for i := range sessions {
		id := fmt.Sprintf("s%02d", i)
		newSession(t, ss[0], id)
		if err := ss[0].RevokeSession(ctx, id, "logout", t0); err != nil {
			t.Fatal(err)
		}
	}
	newSession(t, ss[0], "kept") // active until t0+1h
	var mu sync.Mutex
	var total gatehouse.PurgeStats
	// Past the sid entries' ForgetAt (the sessions' access tokens, t0+15m).
	now := t0.Add(20 * time.Minute)
	errs := each(ss, func(_ int, s *Store) error {
		st, err := s.Purge(ctx, now, now)
		mu.Lock()
		total.Sessions += st.Sessions
		total.Revocations += st.Revocations
		mu.Unlock()
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	// Whichever replicas did the work, every row was deleted exactly once.
	st, err := ss[0].Purge(ctx, now, now)
	if err != nil {
		t.Fatal(err)
	}
	total.Sessions += st.Sessions
	total.Revocations += st.Revocations
	if total.Sessions != sessions || total.Revocations != sessions {
		t.Fatalf("purged %+v in all, want %d sessions and %d revocations", total, sessions, sessions)
	}
	if _, err := ss[0].Session(ctx, "kept"); err != nil {
		t.Fatalf("active session purged: %v", err)
	}
	if _, err := ss[0].Session(ctx, "s00"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Fatalf("revoked session kept: %v", err)
	}
}

func TestPurgeWhileAnotherReplicaPurgesReturnsNothing(t *testing.T) {
	ctx := context.Background()
	ss := replicas(t, 2)
	if err := ss[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	newSession(t, ss[0], "old")
	if err := ss[0].RevokeSession(ctx, "old", "logout", t0); err != nil {
		t.Fatal(err)
	}
	// Replica 0 holds the purge lock in an open transaction.
	tx, err := ss[0].pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var locked bool
	if err := tx.QueryRow(ctx, tryLockPurge).Scan(&locked); err != nil || !locked {
		t.Fatalf("lock: %v, %v", locked, err)
	}
	st, err := ss[1].Purge(ctx, t0.Add(time.Hour), t0.Add(time.Hour))
	if err != nil || st != (gatehouse.PurgeStats{}) {
		t.Fatalf("purge during another's purge: %+v, %v; want zero stats and nil", st, err)
	}
}

func signingKey(id string) *gatehouse.SigningKey {
	return &gatehouse.SigningKey{ID: id, Algorithm: "ES256", PublicKey: []byte("public:" + id), PrivateKey: []byte("sealed:" + id),
		KEKID: "kek-1", CreatedAt: t0}
}

func keyStates(t *testing.T, s *Store) map[gatehouse.KeyState][]string {
	t.Helper()
	_, ks, err := s.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[gatehouse.KeyState][]string{}
	for _, k := range ks {
		m[k.State] = append(m[k.State], k.ID)
	}
	return m
}

// adoptKEK makes kek-1 the key-encryption key of the empty database.
func adoptKEK(t *testing.T, s *Store) {
	t.Helper()
	if err := s.SealSigningKeys(context.Background(), &gatehouse.KeySealing{To: "kek-1"}); err != nil {
		t.Fatal(err)
	}
}

func TestInitSigningKeysConcurrentlyStoresOnePair(t *testing.T) {
	ctx := context.Background()
	ss := replicas(t, 4)
	if err := ss[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	adoptKEK(t, ss[0])
	stored := make([]bool, len(ss))
	errs := each(ss, func(i int, s *Store) (err error) {
		stored[i], err = s.InitSigningKeys(ctx, signingKey(fmt.Sprintf("a%d", i)), signingKey(fmt.Sprintf("n%d", i)))
		return err
	})
	winners := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		if stored[i] {
			winners++
		}
	}
	m := keyStates(t, ss[0])
	if winners != 1 || len(m[gatehouse.KeyActive]) != 1 || len(m[gatehouse.KeyNext]) != 1 || len(m) != 2 {
		t.Fatalf("%d replicas stored keys, keys %v; want one pair", winners, m)
	}
}

func TestReplicasRotatingFromOneStateRotateOnce(t *testing.T) {
	ctx := context.Background()
	ss := replicas(t, 4)
	if err := ss[0].Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	adoptKEK(t, ss[0])
	if _, err := ss[0].InitSigningKeys(ctx, signingKey("a"), signingKey("n")); err != nil {
		t.Fatal(err)
	}
	errs := each(ss, func(i int, s *Store) error {
		return s.RotateSigningKeys(ctx, &gatehouse.KeyRotation{ActiveID: "a", NextID: "n",
			NewNext: signingKey(fmt.Sprintf("new%d", i)), Now: t0.Add(time.Hour)})
	})
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, gatehouse.ErrStale):
			t.Fatalf("replica %d: %v, want nil or ErrStale", i, err)
		}
	}
	m := keyStates(t, ss[0])
	if won != 1 || len(m[gatehouse.KeyActive]) != 1 || m[gatehouse.KeyActive][0] != "n" || len(m[gatehouse.KeyNext]) != 1 ||
		len(m[gatehouse.KeyRetired]) != 1 {
		t.Fatalf("%d replicas rotated; keys %v; want one rotation: n active, a retired", won, m)
	}
}
