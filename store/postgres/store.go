package postgres

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse/gatehouse"
)

var _ gatehouse.Store = (*Store)(nil)

// DefaultPoolSize is the pool's size when the URL does not set
// pool_max_conns: 8 connections per CPU Go may use, at least 16. A
// refresh holds a connection for one round trip, so a pool this size
// keeps the database busy under a refresh storm without queueing requests
// in the pool (pgxpool's own default, max(4, CPUs), made them wait there
// for a third of their time); docs/benchmarks.md has the measurements and
// docs/scaling-out.md what it means for max_connections.
func DefaultPoolSize() int32 { return int32(max(16, 8*runtime.GOMAXPROCS(0))) }

// Store is gatehouse.Store on a PostgreSQL database. It is safe for
// concurrent use, and several Stores (in several processes) may share one
// database.
type Store struct {
	pool   *pgxpool.Pool
	listen *listener
}

// Open connects to the database at url (postgres://…). The pool keeps its
// connections open; pool_max_conns and the other pgxpool parameters, and a
// search_path through options=-c search_path=…, may be given in the URL.
// Without pool_max_conns the pool has DefaultPoolSize connections.
// Open checks that the database answers; it does not migrate.
//
// Statements are prepared once per connection: pgx's default query mode
// (cache_statement) prepares each statement the first time a connection
// runs it and keeps it, so a refresh sends only Bind and Execute.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultPoolSize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	return &Store{pool: pool, listen: newListener()}, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close stops waking feed readers and closes every connection of the
// pool, waiting for those in use.
func (s *Store) Close() error {
	s.listen.close()
	s.pool.Close()
	return nil
}
