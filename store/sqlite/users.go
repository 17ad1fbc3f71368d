package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
)

const userCols = `id, username, password_hash, scopes, disabled, created_at, updated_at, password_changed_at, version, epoch, claims`

// userDest is a user being scanned; every column may be NULL when the
// user comes from an outer join and does not exist.
type userDest struct {
	id, username, hash, scopes   sql.NullString
	disabled                     sql.NullBool
	created, updated, pwd, epoch sql.NullInt64
	version                      sql.NullInt64
	claims                       sql.NullString
}

func (d *userDest) dest() []any {
	return []any{&d.id, &d.username, &d.hash, &d.scopes, &d.disabled, &d.created, &d.updated, &d.pwd, &d.version, &d.epoch, &d.claims}
}

// user is the scanned user, nil when the outer join found none.
func (d *userDest) user() (*gatehouse.User, error) {
	if !d.id.Valid {
		return nil, nil
	}
	claims, err := splitClaims(d.claims.String)
	if err != nil {
		return nil, fmt.Errorf("claims of user %s: %w", d.id.String, err)
	}
	return &gatehouse.User{
		ID: d.id.String, Username: d.username.String, PasswordHash: d.hash.String,
		Scopes: splitScopes(d.scopes.String), Disabled: d.disabled.Bool, Claims: claims,
		CreatedAt: fromMicros(d.created.Int64), UpdatedAt: fromMicros(d.updated.Int64),
		PasswordChangedAt: fromMicros(d.pwd.Int64), Version: d.version.Int64, Epoch: fromMicros(d.epoch.Int64),
	}, nil
}

func scanUser(row scanner) (*gatehouse.User, error) {
	var d userDest
	if err := row.Scan(d.dest()...); err != nil {
		return nil, err
	}
	return d.user()
}

// insertUserSQL inserts a user with Version 1.
var insertUserSQL = `INSERT INTO users (` + userCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`

// insertUserArgs are the arguments of insertUserSQL for u.
func insertUserArgs(u *gatehouse.User) ([]any, error) {
	claims, err := joinClaims(u.Claims)
	if err != nil {
		return nil, err
	}
	return []any{u.ID, u.Username, u.PasswordHash, joinScopes(u.Scopes), u.Disabled,
		micros(u.CreatedAt), micros(u.UpdatedAt), micros(u.PasswordChangedAt), micros(u.Epoch), claims}, nil
}

// CreateUser inserts u with Version 1. ErrConflict if u.ID or u.Username
// exists.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	args, err := insertUserArgs(u)
	if err != nil {
		return wrap("create user", err)
	}
	err = s.write(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, insertUserSQL, args...)
		return err
	})
	if err == nil {
		u.Version = 1
	}
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

// ListUsers returns a page of users ordered by username (byte order):
// those after after, at most limit (all when limit <= 0).
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]*gatehouse.User, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE username > ? ORDER BY username LIMIT ?`, after, limit)
	if err != nil {
		return nil, wrap("list users", err)
	}
	us, err := collect(rows, scanUser)
	return us, wrap("list users", err)
}

// usernamesPerQuery bounds the parameters of one UsersByUsername query.
const usernamesPerQuery = 500

// UsersByUsername returns the existing users among usernames.
func (s *Store) UsersByUsername(ctx context.Context, usernames []string) ([]*gatehouse.User, error) {
	var out []*gatehouse.User
	for chunk := range slices.Chunk(usernames, usernamesPerQuery) {
		args := make([]any, len(chunk))
		for i, n := range chunk {
			args[i] = n
		}
		marks := strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",")
		rows, err := s.r.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE username IN (`+marks+`)`, args...)
		if err != nil {
			return nil, wrap("users by username", err)
		}
		us, err := collect(rows, scanUser)
		if err != nil {
			return nil, wrap("users by username", err)
		}
		out = append(out, us...)
	}
	return out, nil
}

// UpdateUser writes the user if its stored version is u.Version, in one
// write transaction; when the epoch moves, the user's sessions end in the
// same transaction. See gatehouse.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User, reason string) (int, error) {
	var ended int
	err := s.write(ctx, func(tx *wtx) error {
		n, err := updateUser(ctx, tx, u, reason)
		ended = n
		return err
	})
	if err != nil {
		return 0, wrap("update user", err)
	}
	u.Version++
	return ended, nil
}

// updateUser is UpdateUser inside tx; it does not set u.Version.
func updateUser(ctx context.Context, tx queryer, u *gatehouse.User, reason string) (int, error) {
	var version, epoch int64
	if err := tx.QueryRowContext(ctx, `SELECT version, epoch FROM users WHERE id = ?`, u.ID).Scan(&version, &epoch); err != nil {
		return 0, err
	}
	if version != u.Version || micros(u.Epoch) < epoch {
		return 0, gatehouse.ErrStale
	}
	claims, err := joinClaims(u.Claims)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, scopes = ?, disabled = ?, claims = ?,
		updated_at = ?, password_changed_at = ?, epoch = ?, version = version + 1 WHERE id = ?`,
		u.PasswordHash, joinScopes(u.Scopes), u.Disabled, claims, micros(u.UpdatedAt), micros(u.PasswordChangedAt),
		micros(u.Epoch), u.ID); err != nil {
		return 0, err
	}
	if micros(u.Epoch) == epoch {
		return 0, nil
	}
	return endUserSessions(ctx, tx, u.ID, reason, u.UpdatedAt, u.Epoch)
}

// ImportUsers inserts creates and writes updates in one write
// transaction, all or nothing. See gatehouse.UserStore.
func (s *Store) ImportUsers(ctx context.Context, creates, updates []*gatehouse.User, reason string) (int, error) {
	var ended int
	err := s.write(ctx, func(tx *wtx) error {
		for _, u := range creates {
			args, err := insertUserArgs(u)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, insertUserSQL, args...); err != nil {
				return err
			}
		}
		for _, u := range updates {
			n, err := updateUser(ctx, tx, u, reason)
			if errors.Is(err, sql.ErrNoRows) {
				return gatehouse.ErrStale // gone since it was read
			}
			if err != nil {
				return err
			}
			ended += n
		}
		return nil
	})
	if err != nil {
		return 0, wrap("import users", err)
	}
	for _, u := range creates {
		u.Version = 1
	}
	for _, u := range updates {
		u.Version++
	}
	return ended, nil
}

// ReplacePasswordHash swaps the hash if it is still oldHash.
func (s *Store) ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string, at time.Time) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND password_hash = ?`, newHash, micros(at), id, oldHash)
		if err := affected(res, err); !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&one); err != nil {
			return err
		}
		return gatehouse.ErrStale
	})
	return wrap("replace password hash", err)
}

// DeleteUser ends the user's sessions (feed entries included), then removes
// them and the user, in one write transaction. ErrNotFound if absent.
func (s *Store) DeleteUser(ctx context.Context, id, reason string, at time.Time) (int, error) {
	var ended int
	err := s.write(ctx, func(tx *wtx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&one); err != nil {
			return err
		}
		n, err := endUserSessions(ctx, tx, id, reason, at, at)
		if err != nil {
			return err
		}
		ended = n
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return 0, wrap("delete user", err)
	}
	return ended, nil
}

// endUserSessions revokes every session of the user active at at, adds a
// "sid" feed entry for each, and replaces the user's "user" entry by one
// for every token issued before epoch. Each entry is forgettable once the
// latest access token it can match has expired. It runs inside tx.
func endUserSessions(ctx context.Context, tx queryer, userID, reason string, at, epoch time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE sessions AS s SET revoked_at = ?2, revoke_reason = ?3
		WHERE s.user_id = ?1 AND `+activeAt("?2")+` RETURNING id, access_expires_at`, userID, micros(at), reason)
	if err != nil {
		return 0, err
	}
	type ended struct {
		id  string
		exp int64
	}
	es, err := collect(rows, func(r scanner) (e ended, err error) { return e, r.Scan(&e.id, &e.exp) })
	if err != nil {
		return 0, err
	}
	for _, e := range es {
		forget := gatehouse.ForgetAt(at, fromMicros(e.exp))
		if _, err := tx.ExecContext(ctx, addToFeed, gatehouse.RevokeSID, e.id, micros(at), micros(forget)); err != nil {
			return 0, err
		}
	}
	var latest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(access_expires_at) FROM sessions WHERE user_id = ?`, userID).Scan(&latest); err != nil {
		return 0, err
	}
	forget := at
	if latest.Valid {
		forget = gatehouse.ForgetAt(at, fromMicros(latest.Int64))
	}
	if err := replaceSubjectEntry(ctx, tx, userID, epoch, forget); err != nil {
		return 0, err
	}
	return len(es), nil
}

// replaceSubjectEntry replaces the feed's "user" entry of sub (a user's
// id, or a client's own tokens' client_id) by one, with a new cursor, for
// every token issued before epoch, forgettable at forget. The new entry
// matches every token the one it replaces matched, some perhaps of
// sessions purged since: it is not forgotten before it. It runs inside tx.
func replaceSubjectEntry(ctx context.Context, tx queryer, sub string, epoch, forget time.Time) error {
	var previous sql.NullInt64
	if err := tx.QueryRowContext(ctx, `DELETE FROM revocations WHERE kind = 'user' AND value = ? RETURNING forget_at`,
		sub).Scan(&previous); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if previous.Valid && fromMicros(previous.Int64).After(forget) {
		forget = fromMicros(previous.Int64)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES (?, ?, ?, ?)`,
		gatehouse.RevokeUser, sub, micros(epoch), micros(forget))
	return err
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
