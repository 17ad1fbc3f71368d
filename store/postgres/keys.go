package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

// Key writes that change which keys exist or their states serialise on
// lockKeys, so the checks at their start hold until they commit.
// RecordSigned takes only the row lock of its key: a conditional DELETE of
// the same key waits for it and then sees the raised signed_until, or it
// finds the row gone.

const keyCols = `id, algorithm, public_key, private_key, kek_id, state, created_at, activated_at, retired_at, signed_until`

func scanKey(r pgx.Row) (*gatehouse.SigningKey, error) {
	var (
		k                           gatehouse.SigningKey
		state                       string
		activated, retired, through *time.Time
	)
	if err := r.Scan(&k.ID, &k.Algorithm, &k.PublicKey, &k.PrivateKey, &k.KEKID, &state, &k.CreatedAt,
		&activated, &retired, &through); err != nil {
		return nil, err
	}
	k.State, k.CreatedAt = gatehouse.KeyState(state), utc(k.CreatedAt)
	k.ActivatedAt, k.RetiredAt, k.SignedUntil = fromNull(activated), fromNull(retired), fromNull(through)
	if len(k.PrivateKey) == 0 {
		k.PrivateKey = nil
	}
	if len(k.PublicKey) == 0 {
		k.PublicKey = nil
	}
	return &k, nil
}

// SigningKeys returns the key policy and every stored key, newest first,
// in one statement (one snapshot).
func (st *Store) SigningKeys(ctx context.Context) (*gatehouse.KeyPolicy, []*gatehouse.SigningKey, error) {
	var (
		p  *gatehouse.KeyPolicy
		ks []*gatehouse.SigningKey
	)
	rows, err := st.pool.Query(ctx, `SELECT p.algorithm, p.rotation_us, p.jwks_max_age_us, p.jwks_stale_until,
		p.kek_id, p.version, k.id IS NOT NULL, `+keyColsOf("k")+`
		FROM key_policy p LEFT JOIN signing_keys k ON true
		WHERE p.id = 1 ORDER BY k.created_at DESC, k.seq DESC`)
	if err != nil {
		return nil, nil, wrap("signing keys", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pol                    gatehouse.KeyPolicy
			rot, maxAge            int64
			staleUntil             *time.Time
			hasKey                 bool
			id, alg, kek, state    *string
			pub, priv              []byte
			created                *time.Time
			activated, retired, su *time.Time
		)
		if err := rows.Scan(&pol.Algorithm, &rot, &maxAge, &staleUntil, &pol.KEKID, &pol.Version, &hasKey,
			&id, &alg, &pub, &priv, &kek, &state, &created, &activated, &retired, &su); err != nil {
			return nil, nil, wrap("signing keys", err)
		}
		if p == nil {
			pol.Rotation, pol.JWKSMaxAge = time.Duration(rot)*time.Microsecond, time.Duration(maxAge)*time.Microsecond
			pol.JWKSStaleUntil = fromNull(staleUntil)
			p = &pol
		}
		if !hasKey {
			continue
		}
		k := &gatehouse.SigningKey{ID: *id, Algorithm: *alg, PublicKey: pub, PrivateKey: priv, KEKID: *kek,
			State: gatehouse.KeyState(*state), CreatedAt: fromNull(created), ActivatedAt: fromNull(activated),
			RetiredAt: fromNull(retired), SignedUntil: fromNull(su)}
		if len(k.PrivateKey) == 0 {
			k.PrivateKey = nil
		}
		if len(k.PublicKey) == 0 {
			k.PublicKey = nil
		}
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, wrap("signing keys", err)
	}
	if p == nil {
		return nil, nil, wrap("key policy", pgx.ErrNoRows)
	}
	return p, ks, nil
}

// keyColsOf is keyCols of the table alias a.
func keyColsOf(a string) string {
	return a + ".id, " + a + ".algorithm, " + a + ".public_key, " + a + ".private_key, " + a + ".kek_id, " +
		a + ".state, " + a + ".created_at, " + a + ".activated_at, " + a + ".retired_at, " + a + ".signed_until"
}

// SetKeyPolicy writes the policy if its stored version is p.Version.
func (st *Store) SetKeyPolicy(ctx context.Context, p *gatehouse.KeyPolicy) error {
	tag, err := st.pool.Exec(ctx, `UPDATE key_policy SET algorithm = $1, rotation_us = $2, jwks_max_age_us = $3,
		jwks_stale_until = $4, version = version + 1 WHERE id = 1 AND version = $5`,
		p.Algorithm, p.Rotation.Microseconds(), p.JWKSMaxAge.Microseconds(), nullTime(p.JWKSStaleUntil), p.Version)
	if err != nil {
		return wrap("set key policy", err)
	}
	if tag.RowsAffected() == 0 {
		return wrap("set key policy", gatehouse.ErrStale)
	}
	p.Version++
	return nil
}

// insertKey stores k in the given state.
func insertKey(ctx context.Context, tx pgx.Tx, k *gatehouse.SigningKey, state gatehouse.KeyState) error {
	_, err := tx.Exec(ctx, `INSERT INTO signing_keys (`+keyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		k.ID, k.Algorithm, nonNil(k.PublicKey), nonNil(k.PrivateKey), k.KEKID, string(state), utc(k.CreatedAt),
		nullTime(k.ActivatedAt), nullTime(k.RetiredAt), nullTime(k.SignedUntil))
	return err
}

// nonNil is b, or an empty bytea for nil (the column form of "none").
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// keysTx runs fn in a transaction that holds lockKeys.
func (st *Store) keysTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockKeys); err != nil {
			return err
		}
		return fn(tx)
	})
}

// checkKEK is ErrStale unless every key given is sealed under the
// policy's KEK.
func checkKEK(ctx context.Context, tx pgx.Tx, keys ...*gatehouse.SigningKey) error {
	var kek string
	if err := tx.QueryRow(ctx, `SELECT kek_id FROM key_policy WHERE id = 1`).Scan(&kek); err != nil {
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
func activeAndNext(ctx context.Context, tx pgx.Tx) (active, next string, err error) {
	rows, err := tx.Query(ctx, `SELECT id, state FROM signing_keys WHERE state IN ('active', 'next')`)
	if err != nil {
		return "", "", err
	}
	var id, state string
	_, err = pgx.ForEachRow(rows, []any{&id, &state}, func() error {
		if state == string(gatehouse.KeyActive) {
			active = id
		} else {
			next = id
		}
		return nil
	})
	return active, next, err
}

// InitSigningKeys stores active and next if, and only if, there are no keys
// yet. Concurrent callers serialise on an advisory lock, so on an empty
// database exactly one of them stores its pair.
func (st *Store) InitSigningKeys(ctx context.Context, active, next *gatehouse.SigningKey) (bool, error) {
	stored := false
	err := st.keysTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signing_keys)`).Scan(&exists); err != nil || exists {
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
// the caller saw; the partial unique indexes keep one active and one next
// key.
func (st *Store) RotateSigningKeys(ctx context.Context, r *gatehouse.KeyRotation) error {
	err := st.keysTx(ctx, func(tx pgx.Tx) error {
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
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'retired', retired_at = $1, private_key = '\x'
			WHERE id = $2`, utc(r.Now), active); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'active', activated_at = $1 WHERE id = $2`,
			utc(r.Now), next); err != nil {
			return err
		}
		return insertKey(ctx, tx, r.NewNext, gatehouse.KeyNext)
	})
	return wrap("rotate signing keys", err)
}

// ReplaceNextKey swaps the next key oldID for next.
func (st *Store) ReplaceNextKey(ctx context.Context, oldID string, next *gatehouse.SigningKey) error {
	err := st.keysTx(ctx, func(tx pgx.Tx) error {
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
		if _, err := tx.Exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, oldID); err != nil {
			return err
		}
		return insertKey(ctx, tx, next, gatehouse.KeyNext)
	})
	return wrap("replace next key", err)
}

// RevokeSigningKey deletes the key, adds its "kid" feed entry and, for the
// active or next key, puts the next key and r.Replacement in their places,
// in one transaction. The DELETE returns the row as committed, after any
// RecordSigned that held it, so the entry's forget time covers every token
// recorded for the key.
func (st *Store) RevokeSigningKey(ctx context.Context, r *gatehouse.KeyRevocation) (*gatehouse.SigningKey, error) {
	var old *gatehouse.SigningKey
	err := st.keysTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockFeed); err != nil {
			return err
		}
		var err error
		if old, err = scanKey(tx.QueryRow(ctx, `DELETE FROM signing_keys WHERE id = $1 RETURNING `+keyCols, r.ID)); err != nil {
			return err
		}
		if old.State != gatehouse.KeyRetired {
			if err := checkKEK(ctx, tx, r.Replacement); err != nil {
				return err
			}
		}
		switch old.State {
		case gatehouse.KeyActive:
			if _, err := tx.Exec(ctx, `UPDATE signing_keys SET state = 'active', activated_at = $1
				WHERE state = 'next'`, utc(r.At)); err != nil {
				return err
			}
			fallthrough
		case gatehouse.KeyNext:
			if err := insertKey(ctx, tx, r.Replacement, gatehouse.KeyNext); err != nil {
				return err
			}
		}
		var (
			p           gatehouse.KeyPolicy
			maxAge      int64
			staleUntilC *time.Time
		)
		if err := tx.QueryRow(ctx, `SELECT jwks_max_age_us, jwks_stale_until FROM key_policy WHERE id = 1`).Scan(&maxAge, &staleUntilC); err != nil {
			return err
		}
		p.JWKSMaxAge, p.JWKSStaleUntil = time.Duration(maxAge)*time.Microsecond, fromNull(staleUntilC)
		forget := p.KIDForgetAt(r.At, old.SignedUntil)
		_, err = tx.Exec(ctx, addToFeed, gatehouse.RevokeKID, r.ID, utc(r.At), utc(forget))
		return err
	})
	if err != nil {
		return nil, wrap("revoke signing key", err)
	}
	return old, nil
}

// RecordSigned raises the key's signed_until.
func (st *Store) RecordSigned(ctx context.Context, id string, until time.Time) error {
	tag, err := st.pool.Exec(ctx, `UPDATE signing_keys SET signed_until = GREATEST(signed_until, $2) WHERE id = $1`,
		id, utc(until))
	if err != nil {
		return wrap("record signed", err)
	}
	if tag.RowsAffected() == 0 {
		return wrap("record signed", pgx.ErrNoRows)
	}
	return nil
}

// DeleteRetiredKey deletes a retired key none of whose tokens is still
// honoured. Deleting a key that is not there is not an error.
func (st *Store) DeleteRetiredKey(ctx context.Context, id string, before time.Time) (bool, error) {
	tag, err := st.pool.Exec(ctx, `DELETE FROM signing_keys WHERE id = $1 AND state = 'retired'
		AND retired_at < $2 AND (signed_until IS NULL OR signed_until < $2)`, id, utc(before))
	if err != nil {
		return false, fmt.Errorf("postgres: delete retired key: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// SealSigningKeys writes the keys sealed under s.To if every key with a
// private part is among them and the policy's KEK is still s.From.
func (st *Store) SealSigningKeys(ctx context.Context, s *gatehouse.KeySealing) error {
	err := st.keysTx(ctx, func(tx pgx.Tx) error {
		var kek string
		if err := tx.QueryRow(ctx, `SELECT kek_id FROM key_policy WHERE id = 1`).Scan(&kek); err != nil {
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
			tag, err := tx.Exec(ctx, `UPDATE signing_keys SET public_key = $1,
				private_key = CASE WHEN state = 'retired' THEN '\x'::bytea ELSE $2 END, kek_id = $3 WHERE id = $4`,
				nonNil(k.PublicKey), nonNil(k.PrivateKey), k.KEKID, k.ID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return pgx.ErrNoRows
			}
			given[k.ID] = true
		}
		rows, err := tx.Query(ctx, `SELECT id FROM signing_keys WHERE length(private_key) > 0`)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !given[id] {
				return gatehouse.ErrStale // stored since the caller read the keys
			}
		}
		_, err = tx.Exec(ctx, `UPDATE key_policy SET kek_id = $1, version = version + 1 WHERE id = 1`, s.To)
		return err
	})
	return wrap("seal signing keys", err)
}
