package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements. SQLite compiles every statement before it runs it,
// and compiling costs more than running the store's short statements (it
// was the largest single item of a refresh's CPU profile: docs/benchmarks.md).
// A statement is therefore compiled once per connection and kept: a
// database/sql *sql.Stmt of a pool is prepared on each connection the
// first time it runs there, and reused on it afterwards, in transactions
// too (Tx.StmtContext).

// queryer runs statements: a pool of read connections or the write
// transaction (wtx).
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ queryer = (*readPool)(nil)
	_ queryer = (*wtx)(nil)
)

// maxPrepared bounds the statements kept per pool: queries whose text
// varies (an IN list of any length) run without being kept once it is
// reached.
const maxPrepared = 128

// stmtCache holds the statements prepared on one pool, by query text.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool // seen in a transaction, to prepare once it ends
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// get returns the statement prepared on the pool, preparing it if needed;
// nil if it cannot be prepared or kept (the caller then runs the query
// text, which reports the error). Only for pools whose connections the
// caller does not hold: preparing takes a connection.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if s := c.lookup(query); s != nil {
		return s
	}
	c.mu.Lock()
	full := len(c.m) >= maxPrepared
	c.mu.Unlock()
	if full {
		return nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil {
		s.Close()
		return old
	}
	c.m[query] = s
	return s
}

// want records a query that ran in a transaction without a prepared
// statement; prepareWanted prepares them once the connection is free.
func (c *stmtCache) want(query string) {
	c.mu.Lock()
	if len(c.m)+len(c.wanted) < maxPrepared {
		c.wanted[query] = true
	}
	c.mu.Unlock()
}

func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var qs []string
	for q := range c.wanted {
		qs = append(qs, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range qs {
		c.get(ctx, q)
	}
}

// close closes every statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
}

// readPool is the pool of read-only connections; its queries run as
// prepared statements.
type readPool struct {
	*sql.DB
	stmts *stmtCache
}

func (p *readPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.stmts.get(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

func (p *readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmts.get(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmts.get(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// wtx is one write's view of the batch transaction it runs in (writer.go).
// Its statements cannot be interrupted by the caller's context: SQLite
// rolls back the whole transaction when a write statement in it is
// interrupted, which would take the batch's other writes with it. A
// caller's context is honoured while its write waits in the queue.
type wtx struct {
	tx    *sql.Tx
	stmts *stmtCache
	local map[string]*sql.Stmt // this transaction's statements
}

func (w *wtx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := w.local[query]; s != nil {
		return s, nil
	}
	var s *sql.Stmt
	if p := w.stmts.lookup(query); p != nil {
		s = w.tx.StmtContext(ctx, p)
	} else {
		// The writer's only connection is this transaction's: prepare
		// here, for this transaction, and on the pool once it ends.
		var err error
		if s, err = w.tx.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		w.stmts.want(query)
	}
	w.local[query] = s
	return s, nil
}

func (w *wtx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	s, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (w *wtx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	s, err := w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext falls back to the query text when the statement does
// not prepare, so that the *sql.Row carries the error.
func (w *wtx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	s, err := w.stmt(ctx, query)
	if err != nil {
		return w.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}
