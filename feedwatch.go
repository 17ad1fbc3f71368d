package gatehouse

import (
	"context"
	"sync"
)

// FeedWatch is what a store's WaitRevocations is made of: the highest feed
// cursor the store has seen committed, and the requests waiting for it to
// pass theirs. The store feeds it (Advance) from whatever tells it of new
// entries (a notification, a poll); FeedWatch only wakes. Its zero value is
// ready to use; it is safe for concurrent use.
type FeedWatch struct {
	mu      sync.Mutex
	head    int64
	changed chan struct{} // closed, and replaced, when head moves or Wake is called
	wakes   uint64        // calls of Wake
	waiting int
}

// Advance records that the feed's head is at least head, and wakes every
// waiter if that moves it.
func (w *FeedWatch) Advance(head int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if head <= w.head {
		return
	}
	w.head = head
	if w.changed != nil {
		close(w.changed)
		w.changed = nil
	}
}

// Wake wakes every waiter without moving the head: after a gap in the
// store's notifications, when it cannot tell what it missed.
func (w *FeedWatch) Wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.wakes++
	if w.changed != nil {
		close(w.changed)
		w.changed = nil
	}
}

// Wait returns nil once the head is past since (at once if it already is)
// or Wake was called, and ctx's error if ctx ends first. registered, when
// not nil, runs once the caller counts as waiting and before it sleeps: a
// store polls there, so that an entry committed just before the call is
// not left to the next notification.
func (w *FeedWatch) Wait(ctx context.Context, since int64, registered func()) error {
	w.mu.Lock()
	wakes := w.wakes
	w.waiting++
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.waiting--
		w.mu.Unlock()
	}()
	for first := true; ; first = false {
		w.mu.Lock()
		if w.head > since || w.wakes != wakes {
			w.mu.Unlock()
			return nil
		}
		if w.changed == nil {
			w.changed = make(chan struct{})
		}
		ch := w.changed
		w.mu.Unlock()
		if first && registered != nil {
			registered()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Waiting is how many callers are in Wait.
func (w *FeedWatch) Waiting() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waiting
}

// Head is the highest head Advance was given.
func (w *FeedWatch) Head() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.head
}
