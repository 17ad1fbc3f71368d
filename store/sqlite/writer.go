package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// Group commit. Every write of a Store goes through one goroutine, the
// writer, which owns the pool of one write connection. It takes the write
// that is waiting and every other write queued at that moment, and runs
// them in one transaction, each in its own savepoint: a write that fails
// (a conditional UPDATE that found nothing to do is not a failure, an
// ErrConflict is) is rolled back to its savepoint alone, and the others
// commit. One COMMIT, hence one fsync of the WAL (synchronous=FULL), for
// the whole batch; no write is answered before the COMMIT of its batch
// returns, so an answered write is durable, and if the COMMIT fails every
// write of the batch fails. The writes of a batch run one after the other,
// in the order they were queued, under the write lock: each sees the ones
// before it, exactly as if each were its own transaction.

// ErrClosed is returned by a write that a closed Store did not run.
var ErrClosed = errors.New("sqlite: database is closed") // store/resilient classifies it as unavailable by this text

// maxBatch bounds the writes of one transaction, so that a long queue
// does not hold every writer's answer behind one huge commit.
const maxBatch = 256

// write states.
const (
	queued int32 = iota
	running
	abandoned
)

type writeReq struct {
	ctx   context.Context
	fn    func(*wtx) error
	state atomic.Int32
	done  chan error // buffered: the writer never waits for the caller
}

// writer is the goroutine and queue of a Store's writes.
type writer struct {
	db       *sql.DB
	stmts    *stmtCache
	queue    chan *writeReq
	quit     chan struct{}
	exited   chan struct{}
	stop     sync.Once
	onCommit func() // after every COMMIT that wrote something

	// Batches counts the transactions committed, for tests.
	batches atomic.Int64
}

func newWriter(db *sql.DB, onCommit func()) *writer {
	w := &writer{db: db, stmts: newStmtCache(db), queue: make(chan *writeReq, maxBatch),
		quit: make(chan struct{}), exited: make(chan struct{}), onCommit: onCommit}
	go w.run()
	return w
}

// do runs fn in the next batch and returns its error, or the error of the
// batch's COMMIT. A write still queued when ctx ends or the writer closes
// is dropped (ctx.Err(), ErrClosed); one already running is waited for.
func (w *writer) do(ctx context.Context, fn func(*wtx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case w.queue <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return ErrClosed
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
	case <-w.exited:
		if req.state.CompareAndSwap(queued, abandoned) {
			return ErrClosed
		}
	}
	return <-req.done
}

// close stops taking writes, waits for the batch in progress, and drops
// the writes still queued (their callers get ErrClosed).
func (w *writer) close() {
	w.stop.Do(func() { close(w.quit) })
	<-w.exited
	w.stmts.close()
}

func (w *writer) run() {
	defer close(w.exited)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		// Close wins over the queue: what is queued when it comes is dropped.
		select {
		case <-w.quit:
			return
		default:
		}
		select {
		case <-w.quit:
			return
		case req := <-w.queue:
			batch = append(batch[:0], req)
		}
	more:
		for len(batch) < maxBatch {
			select {
			case req := <-w.queue:
				batch = append(batch, req)
			default:
				break more
			}
		}
		w.commit(batch)
		clear(batch)
	}
}

// commit runs one batch in one transaction and answers each write.
func (w *writer) commit(batch []*writeReq) {
	errs := make([]error, len(batch))
	ran := false
	defer func() {
		for i, req := range batch {
			if req.state.Load() == running {
				req.done <- errs[i]
			}
		}
		if ran {
			w.stmts.prepareWanted(context.Background())
		}
	}()
	// The transaction is the batch's, not a caller's: no caller's
	// context may interrupt it (wtx).
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		for i, req := range batch {
			if req.state.CompareAndSwap(queued, running) {
				errs[i] = err
			}
		}
		return
	}
	ran = true
	t := &wtx{tx: tx, stmts: w.stmts, local: map[string]*sql.Stmt{}}
	alone := len(batch) == 1
	wrote := false
	for i, req := range batch {
		if !req.state.CompareAndSwap(queued, running) {
			continue // its caller has gone
		}
		if errs[i] = req.ctx.Err(); errs[i] != nil {
			continue
		}
		if alone {
			errs[i] = req.fn(t)
			wrote = errs[i] == nil
			continue
		}
		if _, err := t.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			w.fail(tx, batch, errs, i, err)
			return
		}
		if errs[i] = req.fn(t); errs[i] != nil {
			if _, err := t.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
				// The transaction itself is gone (SQLite rolls back the
				// whole of it on some errors): nothing of the batch stays.
				w.fail(tx, batch, errs, i, err)
				return
			}
		} else {
			wrote = true
		}
		if _, err := t.ExecContext(ctx, `RELEASE w`); err != nil {
			w.fail(tx, batch, errs, i, err)
			return
		}
	}
	if !wrote {
		if err := rollback(tx); err != nil {
			w.fail(tx, batch, errs, len(batch), err)
		}
		return
	}
	if err := tx.Commit(); err != nil {
		w.fail(tx, batch, errs, len(batch), err)
		return
	}
	w.batches.Add(1)
	w.onCommit()
}

// fail rolls the batch back: the writes before i that succeeded get err,
// write i keeps its own error (or gets err), and the writes after it were
// not run.
func (w *writer) fail(tx *sql.Tx, batch []*writeReq, errs []error, i int, err error) {
	err = errors.Join(err, rollback(tx))
	for j, req := range batch {
		switch {
		case j < i && errs[j] == nil && req.state.Load() == running:
			errs[j] = err
		case j == i && errs[j] == nil:
			errs[j] = err
		case j > i && req.state.CompareAndSwap(queued, running):
			errs[j] = err
		}
	}
}
