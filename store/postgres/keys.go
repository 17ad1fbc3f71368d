package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const keyCols = `id, algorithm, private_key, state, created_at, retired_at`

// SigningKeys returns every stored key, newest first.
func (st *Store) SigningKeys(ctx context.Context) ([]*gatehouse.SigningKey, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+keyCols+` FROM signing_keys ORDER BY created_at DESC, seq DESC`)
	if err != nil {
		return nil, wrap("signing keys", err)
	}
	ks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.SigningKey, error) {
		var (
			k       gatehouse.SigningKey
			state   string
			retired *time.Time
		)
		if err := r.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &state, &k.CreatedAt, &retired); err != nil {
			return nil, err
		}
		k.State, k.CreatedAt, k.RetiredAt = gatehouse.KeyState(state), utc(k.CreatedAt), fromNull(retired)
		return &k, nil
	})
	return ks, wrap("signing keys", err)
}

// insertKey stores k in the given state.
func insertKey(ctx context.Context, tx pgx.Tx, k *gatehouse.SigningKey, state gatehouse.KeyState) error {
	_, err := tx.Exec(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Algorithm, k.PrivateKey, string(state), utc(k.CreatedAt), nullTime(k.RetiredAt))
	return err
}

// InitSigningKeys stores active and next if, and only if, there are no keys
// yet. Concurrent callers serialise on an advisory lock, so on an empty
// database exactly one of them stores its pair.
func (st *Store) InitSigningKeys(ctx context.Context, active, next *gatehouse.SigningKey) (bool, error) {
	stored := false
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockKeys); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys)`).Scan(&exists); err != nil || exists {
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
// stores newNext as the next key, in one transaction serialised with other
// rotations; the partial unique indexes keep one active and one next key.
// ErrNotFound if there is no active or next key; ErrConflict if newNext's
// id exists.
func (st *Store) RotateSigningKeys(ctx context.Context, newNext *gatehouse.SigningKey, now time.Time) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockKeys); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM signing_keys WHERE state IN ('active', 'next')`).Scan(&n); err != nil {
			return err
		}
		if n != 2 {
			return pgx.ErrNoRows
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = $1 WHERE state = 'active'`, utc(now)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'active' WHERE state = 'next'`); err != nil {
			return err
		}
		return insertKey(ctx, tx, newNext, gatehouse.KeyNext)
	})
	return wrap("rotate signing keys", err)
}

// DeleteSigningKey removes a key. Deleting a key that is not there is not
// an error, so replicas doing the same housekeeping do not fail.
func (st *Store) DeleteSigningKey(ctx context.Context, id string) error {
	if _, err := st.pool.Exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete signing key: %w", err)
	}
	return nil
}
