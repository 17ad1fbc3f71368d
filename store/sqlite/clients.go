package sqlite

import (
	"context"

	"github.com/gatehouse/gatehouse"
)

const clientCols = `id, name, secret_hash, public, created_at`

func scanClient(row scanner) (*gatehouse.Client, error) {
	var (
		c       gatehouse.Client
		created int64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

// CreateClient inserts c. ErrConflict if c.ID exists.
func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO clients (`+clientCols+`) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.SecretHash, c.Public, micros(c.CreatedAt))
	return wrap("create client", err)
}

// ClientByID returns the client or ErrNotFound.
func (s *Store) ClientByID(ctx context.Context, id string) (*gatehouse.Client, error) {
	c, err := scanClient(s.r.QueryRowContext(ctx, `SELECT `+clientCols+` FROM clients WHERE id = ?`, id))
	return c, wrap("client by id", err)
}

// ListClients returns every client ordered by name (then id).
func (s *Store) ListClients(ctx context.Context) ([]*gatehouse.Client, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+clientCols+` FROM clients ORDER BY name, id`)
	if err != nil {
		return nil, wrap("list clients", err)
	}
	cs, err := collect(rows, scanClient)
	return cs, wrap("list clients", err)
}
