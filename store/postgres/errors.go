package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse/gatehouse"
)

// uniqueViolation is SQLSTATE 23505.
const uniqueViolation = "23505"

// wrap maps a driver error to the store's contract: a unique violation is
// gatehouse.ErrConflict, no rows is gatehouse.ErrNotFound, anything else is
// wrapped with %w under op.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == uniqueViolation:
		return fmt.Errorf("postgres: %s: %w (%s)", op, gatehouse.ErrConflict, pgErr.ConstraintName)
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: %s: %w", op, gatehouse.ErrNotFound)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
