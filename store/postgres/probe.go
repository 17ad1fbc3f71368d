package postgres

import (
	"context"
	"fmt"
)

// ProbeWrite proves that a write can succeed now (readiness): assigning a
// transaction id and committing it writes to the WAL, which fails on a
// standby (read-only) and on a server that cannot write; it changes no
// table.
func (s *Store) ProbeWrite(ctx context.Context) error {
	var xid int64
	if err := s.pool.QueryRow(ctx, `SELECT txid_current()`).Scan(&xid); err != nil {
		return fmt.Errorf("postgres: probe write: %w", err)
	}
	return nil
}
