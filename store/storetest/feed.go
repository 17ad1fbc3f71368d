package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// bounds reads the feed's bounds.
func bounds(t *testing.T, s gatehouse.Store) gatehouse.FeedBounds {
	t.Helper()
	b, err := s.RevocationBounds(context.Background())
	must(t, "RevocationBounds", err)
	return b
}

func checkBounds(t *testing.T, what string, got gatehouse.FeedBounds, head, floor int64) {
	t.Helper()
	if got.Head != head || got.Floor != floor {
		t.Errorf("%s: bounds = head %d floor %d, want head %d floor %d", what, got.Head, got.Floor, head, floor)
	}
}

// waitBound bounds how long a test waits for WaitRevocations to return
// after a write: only a bound for a failing test, never a measurement.
const waitBound = 30 * time.Second

// waitInBackground starts WaitRevocations(since) and returns its result's
// channel once the call is waiting (the store counts it).
func waitInBackground(t *testing.T, s gatehouse.Store, since int64) <-chan error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- s.WaitRevocations(ctx, since) }()
	return done
}

var feedTests = []test{
	{"a feed that never had an entry has head and floor 0", func(t *testing.T, s gatehouse.Store) {
		checkBounds(t, "empty", bounds(t, s), 0, 0)
	}},
	{"the head is the newest cursor and the floor stays while nothing is purged", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Minute)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j2", at(0), at(time.Hour)))
		rs := feed(t, s, at(0))
		checkBounds(t, "two entries", bounds(t, s), rs[1].Cursor, 0)
	}},
	{"purge moves the floor to below the lowest entry left and keeps the head", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "short-1", at(0), at(time.Minute)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "long", at(0), at(time.Hour)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "short-2", at(0), at(time.Minute)))
		rs := feed(t, s, at(0))
		st, err := s.Purge(ctx, at(10*time.Minute), at(0))
		must(t, "Purge", err)
		if st.Revocations != 2 {
			t.Errorf("Purge removed %d entries, want 2", st.Revocations)
		}
		// short-2, above the entry left, is gone too: the head stays at its
		// cursor, so a reader that saw it is not "ahead" of the feed.
		checkBounds(t, "after the purge", bounds(t, s), rs[2].Cursor, rs[1].Cursor-1)
	}},
	{"purging every entry puts the floor at the head", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Minute)))
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j2", at(0), at(time.Minute)))
		last := feed(t, s, at(0))[1].Cursor
		_, err := s.Purge(ctx, at(time.Hour), at(0))
		must(t, "Purge", err)
		checkBounds(t, "after purging all", bounds(t, s), last, last)
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j3", at(time.Hour), at(2*time.Hour)))
		checkBounds(t, "after a new entry", bounds(t, s), last+1, last)
		// A purge with nothing to remove leaves the floor below the entry left.
		_, err = s.Purge(ctx, at(time.Hour), at(0))
		must(t, "Purge", err)
		checkBounds(t, "after an empty purge", bounds(t, s), last+1, last)
	}},
	{"a replaced user entry does not lower the head", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		u := ensureUser(t, s, "u1")
		u.Epoch = at(time.Minute)
		_, err := s.UpdateUser(ctx, u, "logout-all")
		must(t, "UpdateUser", err)
		first := bounds(t, s).Head
		u.Epoch = at(2 * time.Minute)
		_, err = s.UpdateUser(ctx, u, "logout-all")
		must(t, "UpdateUser", err)
		b := bounds(t, s)
		if b.Head <= first {
			t.Errorf("head %d after replacing the user entry, want above %d", b.Head, first)
		}
	}},
	{"WaitRevocations returns at once when the head is past since", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Hour)))
		wctx, cancel := context.WithTimeout(ctx, waitBound)
		defer cancel()
		must(t, "WaitRevocations(0)", s.WaitRevocations(wctx, 0))
	}},
	{"WaitRevocations ends with its context when nothing is written", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, "j1", at(0), at(time.Hour)))
		head := bounds(t, s).Head
		wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := s.WaitRevocations(wctx, head); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitRevocations(head) = %v, want the context's deadline", err)
		}
	}},
	{"WaitRevocations wakes on each kind of feed write", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		writes := []struct {
			name  string
			write func() error
		}{
			{"RevokeAccessToken", func() error { return s.RevokeAccessToken(ctx, "j1", at(0), at(time.Hour)) }},
			{"RevokeSession", func() error { return s.RevokeSession(ctx, "s1", "logout", at(time.Minute)) }},
			{"UpdateUser moving the epoch", func() error {
				u := ensureUser(t, s, "u1")
				u.Epoch = at(2 * time.Minute)
				_, err := s.UpdateUser(ctx, u, "logout-all")
				return err
			}},
			{"DeleteUser", func() error { _, err := s.DeleteUser(ctx, "u1", "deleted", at(3*time.Minute)); return err }},
		}
		for _, w := range writes {
			since := bounds(t, s).Head
			done := waitInBackground(t, s, since)
			// The write may come before or after the waiter registers:
			// either way it must return, and not before the write.
			select {
			case err := <-done:
				t.Fatalf("%s: WaitRevocations(%d) returned %v before the write", w.name, since, err)
			case <-time.After(20 * time.Millisecond):
			}
			must(t, w.name, w.write())
			select {
			case err := <-done:
				must(t, "WaitRevocations after "+w.name, err)
			case <-time.After(waitBound):
				t.Fatalf("WaitRevocations did not return within %v of %s", waitBound, w.name)
			}
			if b := bounds(t, s); b.Head <= since {
				t.Errorf("%s: head %d, want past %d", w.name, b.Head, since)
			}
		}
	}},
}
