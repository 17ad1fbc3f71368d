package sqlite

import (
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse/gatehouse"
)

// wrap maps a driver error to the store's contract: a unique or primary-key
// violation is gatehouse.ErrConflict, no rows is gatehouse.ErrNotFound,
// anything else is wrapped with %w under op.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	switch {
	case errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
		se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
		return fmt.Errorf("sqlite: %s: %w (%v)", op, gatehouse.ErrConflict, err)
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", op, gatehouse.ErrNotFound)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
