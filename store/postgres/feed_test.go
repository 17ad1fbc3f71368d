package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Revocations written at once by many callers come out of the feed in
// cursor order, each once, and a reader that pages through never misses
// one.
func TestRevocationFeedUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	const writers = 40
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.RevokeAccessToken(ctx, fmt.Sprintf("jti-%d", i), t0, t0.Add(time.Hour))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	seen := map[string]bool{}
	var since int64
	for {
		page, err := s.Revocations(ctx, since, 7, t0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			if r.Cursor <= since {
				t.Fatalf("cursor %d after %d", r.Cursor, since)
			}
			if seen[r.Value] {
				t.Fatalf("%s twice", r.Value)
			}
			seen[r.Value], since = true, r.Cursor
		}
	}
	if len(seen) != writers {
		t.Fatalf("feed has %d entries, want %d", len(seen), writers)
	}
}

func TestRevokingTwiceKeepsOneEntryAndTheLaterForgetTime(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.RevokeAccessToken(ctx, "j", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAccessToken(ctx, "j", t0, t0.Add(time.Minute)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	rs, err := s.Revocations(ctx, 0, 10, t0.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || !rs[0].ForgetAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("feed %+v, want one entry forgettable at %v", rs, t0.Add(time.Hour))
	}
	if ok, err := s.IsRevoked(ctx, "j", ""); err != nil || !ok {
		t.Fatalf("IsRevoked = %v, %v", ok, err)
	}
}
