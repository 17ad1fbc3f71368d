package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const userCols = `id, username, password_hash, scopes, disabled, created_at, updated_at, password_changed_at, version, epoch`

// prefixedUserCols are userCols of the users table joined as u.
var prefixedUserCols = "u." + strings.ReplaceAll(userCols, ", ", ", u.")

// userDest is a user being scanned; every column may be NULL when the
// user comes from an outer join and does not exist.
type userDest struct {
	id, username, hash, scopes *string
	disabled                   *bool
	created, updated, pwd      *time.Time
	version                    *int64
	epoch                      *time.Time
}

func (d *userDest) dest() []any {
	return []any{&d.id, &d.username, &d.hash, &d.scopes, &d.disabled, &d.created, &d.updated, &d.pwd, &d.version, &d.epoch}
}

// user is the scanned user, nil when the outer join found none.
func (d *userDest) user() *gatehouse.User {
	if d.id == nil {
		return nil
	}
	return &gatehouse.User{
		ID: *d.id, Username: *d.username, PasswordHash: *d.hash, Scopes: splitScopes(*d.scopes),
		Disabled: *d.disabled, CreatedAt: utc(*d.created), UpdatedAt: utc(*d.updated),
		PasswordChangedAt: utc(*d.pwd), Version: *d.version, Epoch: utc(*d.epoch),
	}
}

func scanUser(row pgx.Row) (*gatehouse.User, error) {
	var d userDest
	if err := row.Scan(d.dest()...); err != nil {
		return nil, err
	}
	return d.user(), nil
}

// CreateUser inserts u with Version 1. ErrConflict if u.ID or u.Username
// exists.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)`,
		u.ID, u.Username, u.PasswordHash, joinScopes(u.Scopes), u.Disabled,
		utc(u.CreatedAt), utc(u.UpdatedAt), utc(u.PasswordChangedAt), utc(u.Epoch))
	if err == nil {
		u.Version = 1
	}
	return wrap("create user", err)
}

// UserByID returns the user or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
	return u, wrap("user by id", err)
}

// UserByUsername returns the user with exactly this username or ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, username))
	return u, wrap("user by username", err)
}

// ListUsers returns every user ordered by username.
func (s *Store) ListUsers(ctx context.Context) ([]*gatehouse.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY username COLLATE "C"`)
	if err != nil {
		return nil, wrap("list users", err)
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.User, error) { return scanUser(r) })
	return us, wrap("list users", err)
}

// UpdateUser writes the user if its stored version is u.Version, in one
// transaction that holds the user's row lock; when the epoch moves, the
// user's sessions end in the same transaction. See gatehouse.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User, reason string) (int, error) {
	var ended int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var (
			version int64
			epoch   time.Time
		)
		if err := tx.QueryRow(ctx, `SELECT version, epoch FROM users WHERE id = $1 FOR UPDATE`, u.ID).Scan(&version, &epoch); err != nil {
			return err
		}
		if version != u.Version || u.Epoch.Truncate(time.Microsecond).Before(epoch) {
			return gatehouse.ErrStale
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, scopes = $3, disabled = $4,
			updated_at = $5, password_changed_at = $6, epoch = $7, version = version + 1 WHERE id = $1`,
			u.ID, u.PasswordHash, joinScopes(u.Scopes), u.Disabled, utc(u.UpdatedAt), utc(u.PasswordChangedAt),
			utc(u.Epoch)); err != nil {
			return err
		}
		// The column keeps whole microseconds (what u.Epoch is written as):
		// an epoch equal to the stored one at that precision is no move.
		if !epoch.Equal(u.Epoch.Truncate(time.Microsecond)) {
			n, err := endUserSessions(ctx, tx, u.ID, reason, u.UpdatedAt, u.Epoch)
			if err != nil {
				return err
			}
			ended = n
		}
		return nil
	})
	if err != nil {
		return 0, wrap("update user", err)
	}
	u.Version++
	return ended, nil
}

// ReplacePasswordHash swaps the hash if it is still oldHash, in one
// statement.
func (s *Store) ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string, at time.Time) error {
	var swapped, found bool
	err := s.pool.QueryRow(ctx, `WITH
		upd AS (UPDATE users SET password_hash = $3, updated_at = $4, version = version + 1
			WHERE id = $1 AND password_hash = $2 RETURNING id)
		SELECT EXISTS (SELECT 1 FROM upd), EXISTS (SELECT 1 FROM users WHERE id = $1)`,
		id, oldHash, newHash, utc(at)).Scan(&swapped, &found)
	switch {
	case err != nil:
		return wrap("replace password hash", err)
	case !found:
		return wrap("replace password hash", pgx.ErrNoRows)
	case !swapped:
		return wrap("replace password hash", gatehouse.ErrStale)
	}
	return nil
}

// DeleteUser ends the user's sessions (feed entries included), then removes
// them and the user, in one transaction. ErrNotFound if absent.
func (s *Store) DeleteUser(ctx context.Context, id, reason string, at time.Time) (int, error) {
	var ended int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
			return err
		}
		n, err := endUserSessions(ctx, tx, id, reason, at, at)
		if err != nil {
			return err
		}
		ended = n
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return 0, wrap("delete user", err)
	}
	return ended, nil
}

// endUserSessions revokes every session of the user active at at, adds a
// "sid" feed entry for each, and replaces the user's "user" entry by one
// (with a new cursor) for every token issued before epoch. Each entry is
// forgettable once the latest access token it can match has expired. It
// runs inside tx, after taking the feed lock.
func endUserSessions(ctx context.Context, tx pgx.Tx, userID, reason string, at, epoch time.Time) (int, error) {
	if _, err := tx.Exec(ctx, lockFeed); err != nil {
		return 0, err
	}
	var n int
	err := tx.QueryRow(ctx, `WITH
		u AS (UPDATE sessions s SET revoked_at = $2, revoke_reason = $3
			WHERE s.user_id = $1 AND `+activeAt("$2")+` RETURNING s.id, s.access_expires_at),
		f AS (INSERT INTO revocations (kind, value, revoked_at, forget_at)
			SELECT 'sid', id, $2, GREATEST($2, access_expires_at + $4::interval) FROM u ORDER BY id
			ON CONFLICT (kind, value) DO UPDATE SET forget_at = GREATEST(revocations.forget_at, excluded.forget_at))
		SELECT count(*) FROM u`, userID, utc(at), reason, gatehouse.RevocationMargin).Scan(&n)
	if err != nil {
		return 0, err
	}
	// The new entry matches every token the one it replaces matched, some
	// perhaps of sessions purged since: it is not forgotten before it.
	var previous *time.Time
	err = tx.QueryRow(ctx, `DELETE FROM revocations WHERE kind = 'user' AND value = $1 RETURNING forget_at`, userID).Scan(&previous)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at)
		SELECT 'user', $1, $2, GREATEST($3, COALESCE(MAX(access_expires_at) + $4::interval, $3), $5::timestamptz)
		FROM sessions WHERE user_id = $1`, userID, utc(epoch), utc(at), gatehouse.RevocationMargin, previous)
	return n, err
}
