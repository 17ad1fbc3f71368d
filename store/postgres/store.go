package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gatehouse/gatehouse"
)

var _ gatehouse.Store = (*Store)(nil)

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
// Open checks that the database answers; it does not migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
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
