package sqlite

import (
	"context"
	"database/sql"

	"github.com/gatehouse/gatehouse"
)

const userCols = `id, username, password_hash, scopes, disabled, created_at, updated_at, password_changed_at`

func scanUser(row scanner) (*gatehouse.User, error) {
	var (
		u                         gatehouse.User
		scopes                    string
		created, updated, pwdSeen int64
	)
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &scopes, &u.Disabled, &created, &updated, &pwdSeen); err != nil {
		return nil, err
	}
	u.Scopes = splitScopes(scopes)
	u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = fromMicros(created), fromMicros(updated), fromMicros(pwdSeen)
	return &u, nil
}

// CreateUser inserts u. ErrConflict if u.ID or u.Username exists.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.PasswordHash, joinScopes(u.Scopes), u.Disabled,
		micros(u.CreatedAt), micros(u.UpdatedAt), micros(u.PasswordChangedAt))
	return wrap("create user", err)
}

// UserByID returns the user or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, wrap("user by id", err)
}

// UserByUsername returns the user with exactly this username (compared
// byte for byte, no case folding) or ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	return u, wrap("user by username", err)
}

// ListUsers returns every user ordered by username (byte order).
func (s *Store) ListUsers(ctx context.Context) ([]*gatehouse.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, wrap("list users", err)
	}
	us, err := collect(rows, scanUser)
	return us, wrap("list users", err)
}

// UpdateUser writes PasswordHash, Scopes, Disabled, UpdatedAt and
// PasswordChangedAt of the user with u.ID. ErrNotFound if absent.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	res, err := s.w.ExecContext(ctx, `UPDATE users SET password_hash = ?, scopes = ?, disabled = ?,
		updated_at = ?, password_changed_at = ? WHERE id = ?`,
		u.PasswordHash, joinScopes(u.Scopes), u.Disabled, micros(u.UpdatedAt), micros(u.PasswordChangedAt), u.ID)
	return wrap("update user", affected(res, err))
}

// DeleteUser removes the user and its sessions (with their refresh tokens)
// in one transaction. ErrNotFound if absent.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err := affected(res, err); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		return err
	})
	return wrap("delete user", err)
}

// affected is sql.ErrNoRows when a statement changed no row.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
