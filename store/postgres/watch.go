package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

// feedChannel is the channel the revocations trigger (migration 00005)
// notifies with "schema:cursor" for every insert into the feed, at commit.
const feedChannel = "gatehouse_revocations"

// Waking feed readers: a listener keeps one connection of its own (outside
// the pool) on LISTEN gatehouse_revocations and advances the store's
// FeedWatch with the cursor of each notification of its schema, whichever
// replica or process committed the entry. While that connection is down it
// reconnects with backoff, and feed readers waiting meanwhile are served by
// a poll of the head every FeedPoll; after reconnecting it reads the head
// once, so nothing committed in the gap is left waiting.

// listenerName is the application_name of the listening connection, as
// pg_stat_activity shows it.
const listenerName = "gatehouse feed listener"

// FeedPoll is how often waiting feed readers poll the head while the
// listening connection is down.
const FeedPoll = 500 * time.Millisecond

// boundsQuery reads the feed's bounds in one statement (one snapshot).
const boundsQuery = `SELECT GREATEST(b.purged_max, COALESCE((SELECT MAX(cursor) FROM revocations), 0)), b.floor
	FROM feed_bounds b WHERE b.id = 1`

// RevocationBounds reads the feed's head and floor.
func (st *Store) RevocationBounds(ctx context.Context) (gatehouse.FeedBounds, error) {
	var b gatehouse.FeedBounds
	err := st.pool.QueryRow(ctx, boundsQuery).Scan(&b.Head, &b.Floor)
	return b, wrap("revocation bounds", err)
}

// WaitRevocations waits until the feed's head passes since: at once when
// any process commits a feed entry (LISTEN/NOTIFY), or within FeedPoll while
// the listening connection is down.
func (st *Store) WaitRevocations(ctx context.Context, since int64) error {
	st.listen.start(st)
	return st.listen.watch.Wait(ctx, since, st.listen.registered)
}

// listener runs the LISTEN connection from the first WaitRevocations until
// Close.
type listener struct {
	watch gatehouse.FeedWatch

	mu        sync.Mutex
	started   bool
	closed    bool
	connected bool
	pid       uint32 // of the listening connection's backend
	cancel    context.CancelFunc
	done      chan struct{}
	kick      chan struct{}
}

func newListener() *listener {
	return &listener{done: make(chan struct{}), kick: make(chan struct{}, 1)}
}

func (l *listener) start(st *Store) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.closed {
		return
	}
	l.started = true
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go l.run(ctx, st)
	go l.poll(ctx, st)
}

// registered runs when a reader starts waiting: without a listening
// connection, it asks the poller for a read of the head now.
func (l *listener) registered() {
	l.mu.Lock()
	connected := l.connected
	l.mu.Unlock()
	if !connected {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
}

func (l *listener) setConnected(c bool) {
	l.mu.Lock()
	l.connected = c
	l.mu.Unlock()
}

// run keeps a listening connection, reconnecting with backoff (100 ms
// doubling to 5 s).
func (l *listener) run(ctx context.Context, st *Store) {
	defer close(l.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := l.listen(ctx, st)
		l.setConnected(false)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listen opens a connection, LISTENs, reads the head (what was committed
// before the LISTEN took effect), and advances the watch with every
// notification of the store's schema until the connection fails.
func (l *listener) listen(ctx context.Context, st *Store) error {
	cfg := st.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+feedChannel); err != nil {
		return err
	}
	var b gatehouse.FeedBounds
	if err := conn.QueryRow(ctx, boundsQuery).Scan(&b.Head, &b.Floor); err != nil {
		return err
	}
	l.mu.Lock()
	l.connected, l.pid = true, conn.PgConn().PID()
	l.mu.Unlock()
	l.watch.Advance(b.Head)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s, cursor, ok := strings.Cut(n.Payload, ":")
		if !ok || s != schema {
			continue
		}
		// The schema name may hold a colon; the cursor is after the last.
		if i := strings.LastIndexByte(n.Payload, ':'); i >= 0 {
			cursor = n.Payload[i+1:]
		}
		c, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil {
			l.watch.Wake()
			continue
		}
		l.watch.Advance(c)
	}
}

// poll reads the head every FeedPoll, or when poked, while readers wait
// and the listening connection is down.
func (l *listener) poll(ctx context.Context, st *Store) {
	tick := time.NewTicker(FeedPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		case <-tick.C:
		}
		l.mu.Lock()
		connected := l.connected
		l.mu.Unlock()
		if connected || l.watch.Waiting() == 0 {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := st.RevocationBounds(qctx)
		cancel()
		if err == nil {
			l.watch.Advance(b.Head)
		}
	}
}

// close stops the listener, if it runs, and waits for its connection to
// close.
func (l *listener) close() {
	l.mu.Lock()
	started, closed := l.started, l.closed
	l.closed = true
	cancel := l.cancel
	l.mu.Unlock()
	if closed || !started {
		return
	}
	cancel()
	<-l.done
}
