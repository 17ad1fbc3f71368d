package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Every key write runs in one write transaction (BEGIN IMMEDIATE), which
// serialises it with every other writer in this process or another, so the
// checks at its start hold until it commits. Writes that remove private
// key material (a retirement, a revocation, a deletion, a sealing) zero the
// freed space (secure_delete, on for the writer connection) and then
// checkpoint the WAL, so that neither the database file nor its -wal keeps
// the removed bytes.

const keyCols = `id, algorithm, public_key, private_key, kek_id, state, created_at, activated_at, retired_at, signed_until`

func scanKey(r scanner) (*gatehouse.SigningKey, error) {
	var (
		k                           gatehouse.SigningKey
		state                       string
		created                     int64
		activated, retired, through sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.Algorithm, &k.PublicKey, &k.PrivateKey, &k.KEKID, &state, &created,
		&activated, &retired, &through); err != nil {
		return nil, err
	}
	k.State, k.CreatedAt = gatehouse.KeyState(state), fromMicros(created)
	k.ActivatedAt, k.RetiredAt, k.SignedUntil = fromNullMicros(activated), fromNullMicros(retired), fromNullMicros(through)
	if len(k.PrivateKey) == 0 {
		k.PrivateKey = nil
	}
	if len(k.PublicKey) == 0 {
		k.PublicKey = nil
	}
	return &k, nil
}

const policyCols = `algorithm, rotation_us, jwks_max_age_us, jwks_stale_until, kek_id, version`

func scanPolicy(r scanner) (*gatehouse.KeyPolicy, error) {
	var (
		p             gatehouse.KeyPolicy
		rot, maxAge   int64
		staleUntilCol sql.NullInt64
	)
	if err := r.Scan(&p.Algorithm, &rot, &maxAge, &staleUntilCol, &p.KEKID, &p.Version); err != nil {
		return nil, err
	}
	p.Rotation, p.JWKSMaxAge = time.Duration(rot)*time.Microsecond, time.Duration(maxAge)*time.Microsecond
	p.JWKSStaleUntil = fromNullMicros(staleUntilCol)
	return &p, nil
}

// SigningKeys returns the key policy and every stored key, newest first
// (by CreatedAt, then by insertion order), read in one transaction.
func (st *Store) SigningKeys(ctx context.Context) (*gatehouse.KeyPolicy, []*gatehouse.SigningKey, error) {
	tx, err := st.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, wrap("signing keys", err)
	}
	defer tx.Rollback()
	p, err := scanPolicy(tx.QueryRowContext(ctx, `SELECT `+policyCols+` FROM key_policy WHERE id = 1`))
	if err != nil {
		return nil, nil, wrap("key policy", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+keyCols+` FROM signing_keys ORDER BY created_at DESC, seq DESC`)
	if err != nil {
		return nil, nil, wrap("signing keys", err)
	}
	ks, err := collect(rows, scanKey)
	if err != nil {
		return nil, nil, wrap("signing keys", err)
	}
	return p, ks, nil
}

// SetKeyPolicy writes the policy if its stored version is p.Version.
func (st *Store) SetKeyPolicy(ctx context.Context, p *gatehouse.KeyPolicy) error {
	err := st.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE key_policy SET algorithm = ?, rotation_us = ?, jwks_max_age_us = ?,
			jwks_stale_until = ?, version = version + 1 WHERE id = 1 AND version = ?`,
			p.Algorithm, p.Rotation.Microseconds(), p.JWKSMaxAge.Microseconds(), nullMicros(p.JWKSStaleUntil), p.Version)
		if err := affected(res, err); errors.Is(err, sql.ErrNoRows) {
			return gatehouse.ErrStale
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return wrap("set key policy", err)
	}
	p.Version++
	return nil
}

// insertKey stores k in the given state.
func insertKey(ctx context.Context, tx queryer, k *gatehouse.SigningKey, state gatehouse.KeyState) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, nonNil(k.PublicKey), nonNil(k.PrivateKey), k.KEKID, string(state), micros(k.CreatedAt),
		nullMicros(k.ActivatedAt), nullMicros(k.RetiredAt), nullMicros(k.SignedUntil))
	return err
}

// nonNil is b, or an empty BLOB for nil (the column form of "none").
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// checkKEK is ErrStale unless every key given is sealed under the
// policy's KEK.
func checkKEK(ctx context.Context, tx queryer, keys ...*gatehouse.SigningKey) error {
	var kek string
	if err := tx.QueryRowContext(ctx, `SELECT kek_id FROM key_policy WHERE id = 1`).Scan(&kek); err != nil {
		return err
	}
	for _, k := range keys {
		if k == nil || kek == "" || k.KEKID != kek {
			return gatehouse.ErrStale
		}
	}
	return nil
}

// activeAndNext returns the ids of the active and next keys ("" when none).
func activeAndNext(ctx context.Context, tx queryer) (active, next string, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, state FROM signing_keys WHERE state IN ('active', 'next')`)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			return "", "", err
		}
		if state == string(gatehouse.KeyActive) {
			active = id
		} else {
			next = id
		}
	}
	return active, next, rows.Err()
}

// InitSigningKeys stores active and next if, and only if, there are no keys
// yet, in one write transaction: on an empty database exactly one caller
// stores its pair.
func (st *Store) InitSigningKeys(ctx context.Context, active, next *gatehouse.SigningKey) (bool, error) {
	stored := false
	err := st.write(ctx, func(tx *wtx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys)`).Scan(&exists); err != nil || exists {
			return err
		}
		if err := checkKEK(ctx, tx, active, next); err != nil {
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

// RotateSigningKeys retires the active key (destroying its private part),
// promotes the next one and stores r.NewNext, if the keys are still those
// the caller saw; partial unique indexes keep one active and one next key.
func (st *Store) RotateSigningKeys(ctx context.Context, r *gatehouse.KeyRotation) error {
	err := st.write(ctx, func(tx *wtx) error {
		active, next, err := activeAndNext(ctx, tx)
		if err != nil {
			return err
		}
		if active == "" || active != r.ActiveID || next != r.NextID {
			return gatehouse.ErrStale
		}
		if err := checkKEK(ctx, tx, r.NewNext); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = ?, private_key = X''
			WHERE id = ?`, micros(r.Now), active); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'active', activated_at = ? WHERE id = ?`,
			micros(r.Now), next); err != nil {
			return err
		}
		return insertKey(ctx, tx, r.NewNext, gatehouse.KeyNext)
	})
	if err == nil {
		st.checkpoint(ctx)
	}
	return wrap("rotate signing keys", err)
}

// ReplaceNextKey swaps the next key oldID for next.
func (st *Store) ReplaceNextKey(ctx context.Context, oldID string, next *gatehouse.SigningKey) error {
	err := st.write(ctx, func(tx *wtx) error {
		_, current, err := activeAndNext(ctx, tx)
		if err != nil {
			return err
		}
		if current == "" || current != oldID {
			return gatehouse.ErrStale
		}
		if err := checkKEK(ctx, tx, next); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, oldID); err != nil {
			return err
		}
		return insertKey(ctx, tx, next, gatehouse.KeyNext)
	})
	if err == nil {
		st.checkpoint(ctx)
	}
	return wrap("replace next key", err)
}

// RevokeSigningKey deletes the key, adds its "kid" feed entry and, for the
// active or next key, puts the next key and r.Replacement in their places,
// in one write transaction.
func (st *Store) RevokeSigningKey(ctx context.Context, r *gatehouse.KeyRevocation) (*gatehouse.SigningKey, error) {
	var old *gatehouse.SigningKey
	err := st.write(ctx, func(tx *wtx) error {
		var err error
		if old, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyCols+` FROM signing_keys WHERE id = ?`, r.ID)); err != nil {
			return err
		}
		if old.State != gatehouse.KeyRetired {
			if err := checkKEK(ctx, tx, r.Replacement); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, r.ID); err != nil {
			return err
		}
		switch old.State {
		case gatehouse.KeyActive:
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET state = 'active', activated_at = ?
				WHERE state = 'next'`, micros(r.At)); err != nil {
				return err
			}
			fallthrough
		case gatehouse.KeyNext:
			if err := insertKey(ctx, tx, r.Replacement, gatehouse.KeyNext); err != nil {
				return err
			}
		}
		p, err := scanPolicy(tx.QueryRowContext(ctx, `SELECT `+policyCols+` FROM key_policy WHERE id = 1`))
		if err != nil {
			return err
		}
		forget := p.KIDForgetAt(r.At, old.SignedUntil)
		_, err = tx.ExecContext(ctx, addToFeed, gatehouse.RevokeKID, r.ID, micros(r.At), micros(forget))
		return err
	})
	if err != nil {
		return nil, wrap("revoke signing key", err)
	}
	st.checkpoint(ctx)
	return old, nil
}

// RecordSigned raises the key's signed_until.
func (st *Store) RecordSigned(ctx context.Context, id string, until time.Time) error {
	err := st.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE signing_keys SET signed_until = max(coalesce(signed_until, ?2), ?2)
			WHERE id = ?1`, id, micros(until))
		return affected(res, err)
	})
	return wrap("record signed", err)
}

// DeleteRetiredKey deletes a retired key none of whose tokens is still
// honoured. Deleting a key that is not there is not an error.
func (st *Store) DeleteRetiredKey(ctx context.Context, id string, before time.Time) (bool, error) {
	res, err := st.w.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?1 AND state = 'retired'
		AND retired_at < ?2 AND coalesce(signed_until, 0) < ?2`, id, micros(before))
	if err != nil {
		return false, wrap("delete retired key", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("delete retired key", err)
	}
	if n > 0 {
		st.checkpoint(ctx)
	}
	return n > 0, nil
}

// SealSigningKeys writes the keys sealed under s.To if every key with a
// private part is among them and the policy's KEK is still s.From.
func (st *Store) SealSigningKeys(ctx context.Context, s *gatehouse.KeySealing) error {
	err := st.write(ctx, func(tx *wtx) error {
		var kek string
		if err := tx.QueryRowContext(ctx, `SELECT kek_id FROM key_policy WHERE id = 1`).Scan(&kek); err != nil {
			return err
		}
		if kek != s.From || s.To == "" {
			return gatehouse.ErrStale
		}
		given := make(map[string]bool, len(s.Keys))
		for _, k := range s.Keys {
			if k.KEKID != s.To {
				return gatehouse.ErrStale
			}
			// A key retired since the caller read it keeps no private part.
			res, err := tx.ExecContext(ctx, `UPDATE signing_keys SET public_key = ?,
				private_key = CASE WHEN state = 'retired' THEN X'' ELSE ? END, kek_id = ? WHERE id = ?`,
				nonNil(k.PublicKey), nonNil(k.PrivateKey), k.KEKID, k.ID)
			if err := affected(res, err); err != nil {
				return err
			}
			given[k.ID] = true
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM signing_keys WHERE length(private_key) > 0`)
		if err != nil {
			return err
		}
		ids, err := collect(rows, func(r scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !given[id] {
				return gatehouse.ErrStale // stored since the caller read the keys
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE key_policy SET kek_id = ?, version = version + 1 WHERE id = 1`, s.To)
		return err
	})
	if err == nil {
		st.checkpoint(ctx)
	}
	return wrap("seal signing keys", err)
}

// checkpoint copies the WAL into the database file and truncates it, so
// that private key material a write just removed is neither in an old
// page of the database file nor in the WAL. It is best effort: a reader
// that holds an old snapshot delays it to the next checkpoint.
func (st *Store) checkpoint(ctx context.Context) {
	st.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
}
