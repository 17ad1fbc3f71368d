package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse/gatehouse"
)

const keyCols = `id, algorithm, private_key, state, created_at, retired_at`

func scanKey(r scanner) (*gatehouse.SigningKey, error) {
	var (
		k       gatehouse.SigningKey
		state   string
		created int64
		retired sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &state, &created, &retired); err != nil {
		return nil, err
	}
	k.State, k.CreatedAt, k.RetiredAt = gatehouse.KeyState(state), fromMicros(created), fromNullMicros(retired)
	return &k, nil
}

// SigningKeys returns every stored key, newest first (by CreatedAt, then
// by insertion order).
func (st *Store) SigningKeys(ctx context.Context) ([]*gatehouse.SigningKey, error) {
	rows, err := st.r.QueryContext(ctx, `SELECT `+keyCols+` FROM signing_keys ORDER BY created_at DESC, seq DESC`)
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	ks, err := collect(rows, scanKey)
	return ks, wrap("signing keys", err)
}

// insertKey stores k in the given state.
func insertKey(ctx context.Context, tx *sql.Tx, k *gatehouse.SigningKey, state gatehouse.KeyState) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.PrivateKey, string(state), micros(k.CreatedAt), nullMicros(k.RetiredAt))
	return err
}

// InitSigningKeys stores active and next if, and only if, there are no keys
// yet, in one write transaction: the write lock taken at BEGIN serialises
// it with every other writer, in this process or another, so on an empty
// database exactly one caller stores its pair.
func (st *Store) InitSigningKeys(ctx context.Context, active, next *gatehouse.SigningKey) (bool, error) {
	stored := false
	err := st.write(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys)`).Scan(&exists); err != nil || exists {
			return err
		}
		if err := insertKey(ctx, tx, active, gatehouse.KeyActive); err != nil {
			return err
		}
		if err := insertKey(ctx, tx, next, gatehouse.KeyNext); err != nil {
			return err
		}
		stored = true
		return nil
	})
	if err != nil {
		return false, wrap("init signing keys", err)
	}
	return stored, nil
}

// RotateSigningKeys retires the active key, promotes the next one and
// stores newNext as the next key, in one write transaction; partial unique
// indexes keep one active and one next key. ErrNotFound if there is no
// active or next key; ErrConflict if newNext's id exists.
func (st *Store) RotateSigningKeys(ctx context.Context, newNext *gatehouse.SigningKey, now time.Time) error {
	err := st.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signing_keys WHERE state IN ('active', 'next')`).Scan(&n); err != nil {
			return err
		}
		if n != 2 {
			return sql.ErrNoRows
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = ? WHERE state = 'active'`, micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'active' WHERE state = 'next'`); err != nil {
			return err
		}
		return insertKey(ctx, tx, newNext, gatehouse.KeyNext)
	})
	return wrap("rotate signing keys", err)
}

// DeleteSigningKey removes a key. Deleting a key that is not there is not
// an error, so processes doing the same housekeeping do not fail.
func (st *Store) DeleteSigningKey(ctx context.Context, id string) error {
	_, err := st.w.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id)
	return wrap("delete signing key", err)
}
