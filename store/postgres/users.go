package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const userCols = `id, username, password_hash, scopes, disabled, created_at, updated_at, password_changed_at, version, epoch, claims`

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
	claims                     *string
}

func (d *userDest) dest() []any {
	return []any{&d.id, &d.username, &d.hash, &d.scopes, &d.disabled, &d.created, &d.updated, &d.pwd, &d.version, &d.epoch, &d.claims}
}

// user is the scanned user, nil when the outer join found none.
func (d *userDest) user() (*gatehouse.User, error) {
	if d.id == nil {
		return nil, nil
	}
	claims, err := splitClaims(*d.claims)
	if err != nil {
		return nil, fmt.Errorf("claims of user %s: %w", *d.id, err)
	}
	return &gatehouse.User{
		ID: *d.id, Username: *d.username, PasswordHash: *d.hash, Scopes: splitScopes(*d.scopes),
		Disabled: *d.disabled, Claims: claims, CreatedAt: utc(*d.created), UpdatedAt: utc(*d.updated),
		PasswordChangedAt: utc(*d.pwd), Version: *d.version, Epoch: utc(*d.epoch),
	}, nil
}

func scanUser(row pgx.Row) (*gatehouse.User, error) {
	var d userDest
	if err := row.Scan(d.dest()...); err != nil {
		return nil, err
	}
	return d.user()
}

// insertUserSQL inserts a user with Version 1.
var insertUserSQL = `INSERT INTO users (` + userCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)`

// insertUserArgs are the arguments of insertUserSQL for u.
func insertUserArgs(u *gatehouse.User) ([]any, error) {
	claims, err := joinClaims(u.Claims)
	if err != nil {
		return nil, err
	}
	return []any{u.ID, u.Username, u.PasswordHash, joinScopes(u.Scopes), u.Disabled,
		utc(u.CreatedAt), utc(u.UpdatedAt), utc(u.PasswordChangedAt), utc(u.Epoch), claims}, nil
}

// CreateUser inserts u with Version 1. ErrConflict if u.ID or u.Username
// exists.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	args, err := insertUserArgs(u)
	if err != nil {
		return wrap("create user", err)
	}
	_, err = s.pool.Exec(ctx, insertUserSQL, args...)
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

// ListUsers returns a page of users ordered by username in byte order
// (collation "C", as the users_username_bytes index keeps them): those
// after after, at most limit (all when limit <= 0).
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]*gatehouse.User, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE username COLLATE "C" > $1
		ORDER BY username COLLATE "C" LIMIT $2`, after, lim)
	if err != nil {
		return nil, wrap("list users", err)
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.User, error) { return scanUser(r) })
	return us, wrap("list users", err)
}

// UsersByUsername returns the existing users among usernames, in one
// query.
func (s *Store) UsersByUsername(ctx context.Context, usernames []string) ([]*gatehouse.User, error) {
	if len(usernames) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE username = ANY($1)`, usernames)
	if err != nil {
		return nil, wrap("users by username", err)
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.User, error) { return scanUser(r) })
	return us, wrap("users by username", err)
}

// UpdateUser writes the user if its stored version is u.Version, in one
// transaction that holds the user's row lock; when the epoch moves, the
// user's sessions end in the same transaction. See gatehouse.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User, reason string) (int, error) {
	var ended int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
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
func updateUser(ctx context.Context, tx pgx.Tx, u *gatehouse.User, reason string) (int, error) {
	var (
		version int64
		epoch   time.Time
	)
	if err := tx.QueryRow(ctx, `SELECT version, epoch FROM users WHERE id = $1 FOR UPDATE`, u.ID).Scan(&version, &epoch); err != nil {
		return 0, err
	}
	if version != u.Version || u.Epoch.Truncate(time.Microsecond).Before(epoch) {
		return 0, gatehouse.ErrStale
	}
	claims, err := joinClaims(u.Claims)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2, scopes = $3, disabled = $4, claims = $8,
		updated_at = $5, password_changed_at = $6, epoch = $7, version = version + 1 WHERE id = $1`,
		u.ID, u.PasswordHash, joinScopes(u.Scopes), u.Disabled, utc(u.UpdatedAt), utc(u.PasswordChangedAt),
		utc(u.Epoch), claims); err != nil {
		return 0, err
	}
	// The column keeps whole microseconds (what u.Epoch is written as):
	// an epoch equal to the stored one at that precision is no move.
	if epoch.Equal(u.Epoch.Truncate(time.Microsecond)) {
		return 0, nil
	}
	return endUserSessions(ctx, tx, u.ID, reason, u.UpdatedAt, u.Epoch)
}

// ImportUsers inserts creates (with COPY) and writes updates in one
// transaction, all or nothing. See gatehouse.UserStore.
func (s *Store) ImportUsers(ctx context.Context, creates, updates []*gatehouse.User, reason string) (int, error) {
	var ended int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows := make([][]any, 0, len(creates))
		for _, u := range creates {
			args, err := insertUserArgs(u)
			if err != nil {
				return err
			}
			rows = append(rows, append(args[:8:8], int64(1), args[8], args[9]))
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"users"}, strings.Split(userCols, ", "), pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		for _, u := range updates {
			n, err := updateUser(ctx, tx, u, reason)
			if errors.Is(err, pgx.ErrNoRows) {
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
	var latest *time.Time
	if err := tx.QueryRow(ctx, `SELECT MAX(access_expires_at) FROM sessions WHERE user_id = $1`, userID).Scan(&latest); err != nil {
		return 0, err
	}
	forget := at
	if latest != nil {
		forget = gatehouse.ForgetAt(at, *latest)
	}
	return n, replaceSubjectEntry(ctx, tx, userID, epoch, forget)
}

// replaceSubjectEntry replaces the feed's "user" entry of sub (a user's
// id, or a client's own tokens' client_id) by one, with a new cursor, for
// every token issued before epoch, forgettable at forget. The new entry
// matches every token the one it replaces matched, some perhaps of
// sessions purged since: it is not forgotten before it. It runs inside tx,
// which holds the feed lock.
func replaceSubjectEntry(ctx context.Context, tx pgx.Tx, sub string, epoch, forget time.Time) error {
	var previous *time.Time
	err := tx.QueryRow(ctx, `DELETE FROM revocations WHERE kind = 'user' AND value = $1 RETURNING forget_at`, sub).Scan(&previous)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if previous != nil && previous.After(forget) {
		forget = *previous
	}
	_, err = tx.Exec(ctx, `INSERT INTO revocations (kind, value, revoked_at, forget_at) VALUES ('user', $1, $2, $3)`,
		sub, utc(epoch), utc(forget))
	return err
}
