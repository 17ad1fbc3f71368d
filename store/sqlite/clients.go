package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse/gatehouse"
)

const clientCols = `id, name, secret_hash, public, created_at, scopes, audience, access_ttl, epoch, access_issued_at, access_expires_at`

func scanClient(row scanner) (*gatehouse.Client, error) {
	var (
		c                                   gatehouse.Client
		scopes, audience                    string
		created, ttl, epoch, issued, expire int64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &created, &scopes, &audience, &ttl, &epoch, &issued, &expire); err != nil {
		return nil, err
	}
	c.Scopes, c.Audience = splitScopes(scopes), splitScopes(audience)
	c.AccessTTL = time.Duration(ttl) * time.Microsecond
	c.CreatedAt, c.Epoch = fromMicros(created), fromMicros(epoch)
	c.AccessIssuedAt, c.AccessExpiresAt = fromMicros(issued), fromMicros(expire)
	return &c, nil
}

// CreateClient inserts c. ErrConflict if c.ID is a client's or a user's
// id (the single writer makes the check and the insert one step).
func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO clients (`+clientCols+`)
			SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = ?1)`,
			c.ID, c.Name, c.SecretHash, c.Public, micros(c.CreatedAt), joinScopes(c.Scopes), joinScopes(c.Audience),
			c.AccessTTL.Microseconds(), micros(c.Epoch), micros(c.AccessIssuedAt), micros(c.AccessExpiresAt))
		return affected(res, err)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return wrap("create client", gatehouse.ErrConflict)
	} else if err != nil {
		return wrap("create client", err)
	}
	return nil
}

// ClientByID returns the client or ErrNotFound.
func (s *Store) ClientByID(ctx context.Context, id string) (*gatehouse.Client, error) {
	c, err := scanClient(s.r.QueryRowContext(ctx, `SELECT `+clientCols+` FROM clients WHERE id = ?`, id))
	return c, wrap("client by id", err)
}

// ListClients returns every client ordered by name (then id).
func (s *Store) ListClients(ctx context.Context) ([]*gatehouse.Client, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+clientCols+` FROM clients ORDER BY name, id`)
	if err != nil {
		return nil, wrap("list clients", err)
	}
	cs, err := collect(rows, scanClient)
	return cs, wrap("list clients", err)
}

// RotateClientSecret replaces the secret and moves the epoch, revoking the
// client's own tokens issued before it, in one write transaction.
func (s *Store) RotateClientSecret(ctx context.Context, id, secretHash string, epoch time.Time) error {
	err := s.write(ctx, func(tx *wtx) error {
		accessExp, err := newClientEpoch(ctx, tx, id, epoch)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE clients SET secret_hash = ?, epoch = ? WHERE id = ?`,
			secretHash, micros(epoch), id); err != nil {
			return err
		}
		return replaceSubjectEntry(ctx, tx, id, epoch, gatehouse.ForgetAt(epoch, fromMicros(accessExp)))
	})
	return wrap("rotate client secret", err)
}

// newClientEpoch reads the client inside tx and returns its
// AccessExpiresAt (column form) if epoch may replace its epoch: ErrStale
// unless epoch is after its Epoch and AccessIssuedAt.
func newClientEpoch(ctx context.Context, tx queryer, id string, epoch time.Time) (int64, error) {
	var stored, issued, accessExp int64
	if err := tx.QueryRowContext(ctx, `SELECT epoch, access_issued_at, access_expires_at FROM clients WHERE id = ?`,
		id).Scan(&stored, &issued, &accessExp); err != nil {
		return 0, err
	}
	if micros(epoch) <= stored || micros(epoch) <= issued {
		return 0, gatehouse.ErrStale
	}
	return accessExp, nil
}

// RecordClientToken raises the client's AccessIssuedAt and
// AccessExpiresAt if its epoch is still epoch.
func (s *Store) RecordClientToken(ctx context.Context, id string, epoch, iat, exp time.Time) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE clients SET access_issued_at = MAX(access_issued_at, ?),
			access_expires_at = MAX(access_expires_at, ?) WHERE id = ? AND epoch = ?`, micros(iat), micros(exp), id, micros(epoch))
		if err := affected(res, err); !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE id = ?`, id).Scan(&one); err != nil {
			return err
		}
		return gatehouse.ErrStale
	})
	return wrap("record client token", err)
}

// DeleteClient ends the client's sessions and revokes its own tokens, then
// removes it, in one write transaction.
func (s *Store) DeleteClient(ctx context.Context, id, reason string, at, epoch time.Time) (int, error) {
	var ended int
	err := s.write(ctx, func(tx *wtx) error {
		accessExp, err := newClientEpoch(ctx, tx, id, epoch)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE sessions AS s SET revoked_at = ?2, revoke_reason = ?3
			WHERE s.client_id = ?1 AND `+activeAt("?2")+` RETURNING id, access_expires_at`, id, micros(at), reason)
		if err != nil {
			return err
		}
		type endedSession struct {
			id  string
			exp int64
		}
		es, err := collect(rows, func(r scanner) (e endedSession, err error) { return e, r.Scan(&e.id, &e.exp) })
		if err != nil {
			return err
		}
		for _, e := range es {
			forget := gatehouse.ForgetAt(at, fromMicros(e.exp))
			if _, err := tx.ExecContext(ctx, addToFeed, gatehouse.RevokeSID, e.id, micros(at), micros(forget)); err != nil {
				return err
			}
		}
		ended = len(es)
		if err := replaceSubjectEntry(ctx, tx, id, epoch, gatehouse.ForgetAt(at, fromMicros(accessExp))); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM clients WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return 0, wrap("delete client", err)
	}
	return ended, nil
}
