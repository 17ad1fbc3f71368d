package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const userCols = `id, username, password_hash, scopes, disabled, created_at, updated_at, password_changed_at`

func scanUser(row pgx.Row) (*gatehouse.User, error) {
	var (
		u      gatehouse.User
		scopes string
	)
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &scopes, &u.Disabled,
		&u.CreatedAt, &u.UpdatedAt, &u.PasswordChangedAt); err != nil {
		return nil, err
	}
	u.Scopes = splitScopes(scopes)
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = utc(u.CreatedAt), utc(u.UpdatedAt), utc(u.PasswordChangedAt)
	return &u, nil
}

// CreateUser inserts u. ErrConflict if u.ID or u.Username exists.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.ID, u.Username, u.PasswordHash, joinScopes(u.Scopes), u.Disabled,
		utc(u.CreatedAt), utc(u.UpdatedAt), utc(u.PasswordChangedAt))
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

// UpdateUser writes PasswordHash, Scopes, Disabled, UpdatedAt and
// PasswordChangedAt of the user with u.ID. ErrNotFound if absent.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $2, scopes = $3, disabled = $4,
		updated_at = $5, password_changed_at = $6 WHERE id = $1`,
		u.ID, u.PasswordHash, joinScopes(u.Scopes), u.Disabled, utc(u.UpdatedAt), utc(u.PasswordChangedAt))
	if err != nil {
		return wrap("update user", err)
	}
	if tag.RowsAffected() == 0 {
		return wrap("update user", pgx.ErrNoRows)
	}
	return nil
}

// DeleteUser removes the user and its sessions (with their refresh tokens)
// in one statement. ErrNotFound if absent.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	var n int
	err := s.pool.QueryRow(ctx, `WITH
		gone_sessions AS (DELETE FROM sessions WHERE user_id = $1),
		gone AS (DELETE FROM users WHERE id = $1 RETURNING id)
		SELECT count(*) FROM gone`, id).Scan(&n)
	if err != nil {
		return wrap("delete user", err)
	}
	if n == 0 {
		return wrap("delete user", pgx.ErrNoRows)
	}
	return nil
}
