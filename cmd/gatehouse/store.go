package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/postgres"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// migratingStore is a store that carries its own embedded migrations.
type migratingStore interface {
	gatehouse.Store
	Migrate(ctx context.Context) error
}

// openStore opens the database named by dsn: "sqlite:PATH" or a
// postgres:// (or postgresql://) URL. It does not migrate.
func openStore(ctx context.Context, dsn string) (migratingStore, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, errors.New("--db sqlite: needs a path, e.g. sqlite:gatehouse.db")
		}
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", dsn, err)
		}
		return s, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", redactDSN(dsn), err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("--db %q: want sqlite:PATH or postgres://…", redactDSN(dsn))
	}
}

// openMigrated opens the database and brings its schema up to date, so
// every command works on a fresh database. Migrations are idempotent and
// safe while a server runs on the same database.
func (c *cli) openMigrated(ctx context.Context) (gatehouse.Store, error) {
	s, err := openStore(ctx, c.db)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate %s: %w", redactDSN(c.db), err)
	}
	return s, nil
}

// redactDSN hides the password of a database URL, for logs and errors.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(dsn, "@") {
			return "(unparsable database URL)"
		}
		return dsn
	}
	return u.Redacted()
}
