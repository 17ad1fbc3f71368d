package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date with the embedded migrations. It is
// idempotent: on an up-to-date database it does nothing. Each migration
// runs in its own write transaction on the writer connection, and several
// processes may migrate one file at once.
func (s *Store) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	// Two processes migrating a new file at once (the CLI and the server)
	// both see a migration pending; each applies it in a write transaction,
	// so one commits and the other fails ("table already exists") and rolls
	// back. The loser looks again, finds the migration applied, and goes on
	// with what is still pending.
	var last error
	for range migrateAttempts {
		_, err := p.Up(ctx)
		if err == nil {
			return nil
		}
		last = err
		if pending, err := p.HasPending(ctx); err == nil && !pending {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("sqlite: migrate: %w", last)
}

// migrateAttempts bounds the retries of Migrate against other migrating
// processes.
const migrateAttempts = 10
