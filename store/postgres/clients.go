package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const clientCols = `id, name, secret_hash, public, created_at`

func scanClient(row pgx.Row) (*gatehouse.Client, error) {
	var c gatehouse.Client
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt = utc(c.CreatedAt)
	return &c, nil
}

// CreateClient inserts c. ErrConflict if c.ID exists.
func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO clients (`+clientCols+`) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.Name, c.SecretHash, c.Public, utc(c.CreatedAt))
	return wrap("create client", err)
}

// ClientByID returns the client or ErrNotFound.
func (s *Store) ClientByID(ctx context.Context, id string) (*gatehouse.Client, error) {
	c, err := scanClient(s.pool.QueryRow(ctx, `SELECT `+clientCols+` FROM clients WHERE id = $1`, id))
	return c, wrap("client by id", err)
}

// ListClients returns every client ordered by name.
func (s *Store) ListClients(ctx context.Context) ([]*gatehouse.Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clientCols+` FROM clients ORDER BY name COLLATE "C", id`)
	if err != nil {
		return nil, wrap("list clients", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.Client, error) { return scanClient(r) })
	return cs, wrap("list clients", err)
}
