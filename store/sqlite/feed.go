package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse/gatehouse"
)

// FeedPoll is how often a store with feed readers waiting looks for
// entries that another process (the command line, another server on the
// same file) committed. Entries this Store writes wake the readers at once.
const FeedPoll = 200 * time.Millisecond

// boundsQuery reads the feed's bounds in one statement (one snapshot).
const boundsQuery = `SELECT MAX(b.purged_max, COALESCE((SELECT MAX(cursor) FROM revocations), 0)), b.floor
	FROM feed_bounds b WHERE b.id = 1`

// RevocationBounds reads the feed's head and floor.
func (st *Store) RevocationBounds(ctx context.Context) (gatehouse.FeedBounds, error) {
	var b gatehouse.FeedBounds
	err := st.r.QueryRowContext(ctx, boundsQuery).Scan(&b.Head, &b.Floor)
	return b, wrap("revocation bounds", err)
}

// WaitRevocations waits until the feed's head passes since. A write of
// this Store wakes its waiters at once; another process's write is seen
// by a poll of the head every FeedPoll while anyone waits.
func (st *Store) WaitRevocations(ctx context.Context, since int64) error {
	st.feed.start(st)
	return st.feed.watch.Wait(ctx, since, st.feed.poke)
}

// feedPoller keeps the store's FeedWatch up to date: it reads the head
// when poked (after a write, or when a reader starts waiting) and every
// FeedPoll while readers wait. It runs from the first WaitRevocations
// until Close.
type feedPoller struct {
	watch gatehouse.FeedWatch
	kick  chan struct{} // buffered: one pending poke is enough

	mu      sync.Mutex
	started bool
	closed  bool
	stop    chan struct{}
	done    chan struct{}
}

func newFeedPoller() *feedPoller {
	return &feedPoller{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

func (p *feedPoller) start(st *Store) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started && !p.closed {
		p.started = true
		go p.run(st)
	}
}

// poke asks for a read of the head now; it never blocks.
func (p *feedPoller) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *feedPoller) run(st *Store) {
	defer close(p.done)
	tick := time.NewTicker(FeedPoll)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
		case <-tick.C:
		}
		if p.watch.Waiting() == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, err := st.RevocationBounds(ctx)
		cancel()
		if err != nil {
			continue // the next tick tries again; waiters time out on their own
		}
		p.watch.Advance(b.Head)
	}
}

// close stops the poller and waits for it, if it was started.
func (p *feedPoller) close() {
	p.mu.Lock()
	started, closed := p.started, p.closed
	p.closed = true
	p.mu.Unlock()
	if closed {
		return
	}
	close(p.stop)
	if started {
		<-p.done
	}
}
