package postgres

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func TestRotateRefreshToken(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)

	t.Run("a live token is rotated and the session slides", func(t *testing.T) {
		old := newSession(t, s, "live")
		now := t0.Add(10 * time.Minute)
		r := rotation(old, now)
		res, err := s.RotateRefreshToken(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if res.Retry || res.Session.ID != "live" {
			t.Fatalf("got %+v, want a first rotation of session live", res)
		}
		if !res.Session.LastUsedAt.Equal(now) || !res.Session.IdleExpiresAt.Equal(now.Add(time.Hour)) {
			t.Errorf("session not slid: last used %v, idle expiry %v", res.Session.LastUsedAt, res.Session.IdleExpiresAt)
		}
		// The successor is now the live token.
		res, err = s.RotateRefreshToken(ctx, rotation(r.Next.Hash, now.Add(time.Minute)))
		if err != nil || res.Retry {
			t.Fatalf("rotating the successor: %+v, %v", res, err)
		}
	})

	t.Run("idle expiry slides no further than the absolute end", func(t *testing.T) {
		old := newSession(t, s, "capped")
		r := rotation(old, t0.Add(50*time.Minute))
		r.IdleTTL = 48 * time.Hour
		res, err := s.RotateRefreshToken(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Session.IdleExpiresAt.Equal(t0.Add(24 * time.Hour)) {
			t.Errorf("idle expiry %v, want the absolute end %v", res.Session.IdleExpiresAt, t0.Add(24*time.Hour))
		}
	})

	t.Run("a retry within the grace window gets the same sealed successor", func(t *testing.T) {
		old := newSession(t, s, "retry")
		first := rotation(old, t0.Add(time.Minute))
		if _, err := s.RotateRefreshToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		res, err := s.RotateRefreshToken(ctx, rotation(old, t0.Add(time.Minute+9*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Retry || !bytes.Equal(res.SealedSuccessor, first.SealedNext) || res.Session.ID != "retry" {
			t.Fatalf("got %+v, want a retry with the first successor", res)
		}
		// Nothing was written: the first successor is still the live token.
		if _, err := s.RotateRefreshToken(ctx, rotation(first.Next.Hash, t0.Add(2*time.Minute))); err != nil {
			t.Fatalf("first successor no longer live after a retry: %v", err)
		}
	})

	t.Run("a replay after the grace window is reuse and names the session", func(t *testing.T) {
		old := newSession(t, s, "replay")
		if _, err := s.RotateRefreshToken(ctx, rotation(old, t0.Add(time.Minute))); err != nil {
			t.Fatal(err)
		}
		res, err := s.RotateRefreshToken(ctx, rotation(old, t0.Add(time.Minute+10*time.Second)))
		if !errors.Is(err, gatehouse.ErrTokenReused) {
			t.Fatalf("err = %v, want ErrTokenReused", err)
		}
		if res == nil || res.Session == nil || res.Session.ID != "replay" {
			t.Fatalf("reuse result %+v does not name the session", res)
		}
	})

	t.Run("an older retired token is reuse even inside the grace window", func(t *testing.T) {
		// Without a family, so that the older token's row is kept.
		old := newSessionOfFamily(t, s, "older", nil)
		r1 := rotation(old, t0.Add(time.Minute))
		if _, err := s.RotateRefreshToken(ctx, r1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, rotation(r1.Next.Hash, t0.Add(time.Minute+time.Second))); err != nil {
			t.Fatal(err)
		}
		_, err := s.RotateRefreshToken(ctx, rotation(old, t0.Add(time.Minute+2*time.Second)))
		if !errors.Is(err, gatehouse.ErrTokenReused) {
			t.Fatalf("err = %v, want ErrTokenReused", err)
		}
	})

	t.Run("a revoked, idle or expired session has ended", func(t *testing.T) {
		revoked := newSession(t, s, "revoked")
		if err := s.RevokeSession(ctx, "revoked", "logout", t0); err != nil {
			t.Fatal(err)
		}
		idle := newSession(t, s, "idle")
		for name, r := range map[string]*gatehouse.Rotation{
			"revoked": rotation(revoked, t0.Add(time.Minute)),
			"idle":    rotation(idle, t0.Add(time.Hour)),
		} {
			if _, err := s.RotateRefreshToken(ctx, r); !errors.Is(err, gatehouse.ErrSessionEnded) {
				t.Errorf("%s: err = %v, want ErrSessionEnded", name, err)
			}
		}
	})

	t.Run("an unknown token is not found", func(t *testing.T) {
		if _, err := s.RotateRefreshToken(ctx, rotation(randomHash(), t0)); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("a successor hash that exists is a conflict and nothing is rotated", func(t *testing.T) {
		old := newSession(t, s, "dup")
		r := rotation(old, t0.Add(time.Minute))
		r.Next.Hash = newSession(t, s, "other")
		if _, err := s.RotateRefreshToken(ctx, r); !errors.Is(err, gatehouse.ErrConflict) {
			t.Fatalf("err = %v, want ErrConflict", err)
		}
		if res, err := s.RotateRefreshToken(ctx, rotation(old, t0.Add(time.Minute))); err != nil || res.Retry {
			t.Fatalf("old token not live after a failed rotation: %+v, %v", res, err)
		}
	})
}

// Concurrent rotations of one token, from two Stores (two pools, as two
// replicas would have) on one database: exactly one rotates, every other
// call is a retry with that one's sealed successor, for many rounds.
func TestRotateRefreshTokenConcurrently(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	replicas := []*Store{openURL(t, u), openURL(t, u)}
	const callers, rounds = 50, 20
	token := newSession(t, replicas[0], "race")
	now := t0
	for round := range rounds {
		now = now.Add(time.Minute)
		rs := make([]*gatehouse.Rotation, callers)
		results := make([]*gatehouse.RotationResult, callers)
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			rs[i] = rotation(token, now)
			wg.Go(func() { results[i], errs[i] = replicas[i%2].RotateRefreshToken(ctx, rs[i]) })
		}
		wg.Wait()
		winner := -1
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("round %d caller %d: %v", round, i, errs[i])
			}
			if !results[i].Retry {
				if winner >= 0 {
					t.Fatalf("round %d: callers %d and %d both rotated", round, winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody rotated", round)
		}
		for i := range callers {
			if results[i].Retry && !bytes.Equal(results[i].SealedSuccessor, rs[winner].SealedNext) {
				t.Fatalf("round %d caller %d: retry with another successor than the winner's", round, i)
			}
		}
		token = rs[winner].Next.Hash
	}
	var live int
	if err := replicas[0].pool.QueryRow(ctx,
		`SELECT count(*) FROM refresh_tokens WHERE session_id = 'race' AND rotated_at IS NULL`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	var total int
	if err := replicas[0].pool.QueryRow(ctx,
		`SELECT count(*) FROM refresh_tokens WHERE session_id = 'race'`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	// One lineage, and of it only the live token and the one it replaced.
	if live != 1 || total != 2 {
		t.Fatalf("%d live of %d tokens, want 1 live of 2: more than one lineage, or old rows kept", live, total)
	}
}
