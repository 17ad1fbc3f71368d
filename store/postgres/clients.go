package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

const clientCols = `id, name, secret_hash, public, created_at, scopes, audience, access_ttl, epoch, access_issued_at, access_expires_at`

func scanClient(row pgx.Row) (*gatehouse.Client, error) {
	var (
		c                gatehouse.Client
		scopes, audience string
		ttl              int64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &c.CreatedAt, &scopes, &audience, &ttl, &c.Epoch, &c.AccessIssuedAt, &c.AccessExpiresAt); err != nil {
		return nil, err
	}
	c.Scopes, c.Audience = splitScopes(scopes), splitScopes(audience)
	c.AccessTTL = time.Duration(ttl) * time.Microsecond
	c.CreatedAt, c.Epoch = utc(c.CreatedAt), utc(c.Epoch)
	c.AccessIssuedAt, c.AccessExpiresAt = utc(c.AccessIssuedAt), utc(c.AccessExpiresAt)
	return &c, nil
}

// CreateClient inserts c. ErrConflict if c.ID is a client's or a user's
// id. (A user created at the same moment with the same id is not seen:
// user ids are 128 random bits, never chosen.)
func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO clients (`+clientCols+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = $1)`,
		c.ID, c.Name, c.SecretHash, c.Public, utc(c.CreatedAt), joinScopes(c.Scopes), joinScopes(c.Audience),
		c.AccessTTL.Microseconds(), utc(c.Epoch), utc(c.AccessIssuedAt), utc(c.AccessExpiresAt))
	if err == nil && tag.RowsAffected() == 0 {
		err = gatehouse.ErrConflict
	}
	return wrap("create client", err)
}

// ClientByID returns the client or ErrNotFound.
func (s *Store) ClientByID(ctx context.Context, id string) (*gatehouse.Client, error) {
	c, err := scanClient(s.pool.QueryRow(ctx, `SELECT `+clientCols+` FROM clients WHERE id = $1`, id))
	return c, wrap("client by id", err)
}

// ListClients returns every client ordered by name (byte order), then id.
func (s *Store) ListClients(ctx context.Context) ([]*gatehouse.Client, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clientCols+` FROM clients ORDER BY name COLLATE "C", id COLLATE "C"`)
	if err != nil {
		return nil, wrap("list clients", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.Client, error) { return scanClient(r) })
	return cs, wrap("list clients", err)
}

// RotateClientSecret replaces the secret and moves the epoch, revoking the
// client's own tokens issued before it, in one transaction that holds the
// client's row lock (RecordClientToken waits for it, then finds the epoch
// moved) and the feed lock.
func (s *Store) RotateClientSecret(ctx context.Context, id, secretHash string, epoch time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockFeed); err != nil {
			return err
		}
		accessExp, err := newClientEpoch(ctx, tx, id, epoch)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE clients SET secret_hash = $2, epoch = $3 WHERE id = $1`, id, secretHash, utc(epoch)); err != nil {
			return err
		}
		return replaceSubjectEntry(ctx, tx, id, epoch, gatehouse.ForgetAt(epoch, accessExp))
	})
	return wrap("rotate client secret", err)
}

// newClientEpoch locks the client's row inside tx and returns its
// AccessExpiresAt if epoch may replace its epoch: ErrStale unless epoch is
// after its Epoch and AccessIssuedAt.
func newClientEpoch(ctx context.Context, tx pgx.Tx, id string, epoch time.Time) (time.Time, error) {
	var stored, issued, accessExp time.Time
	if err := tx.QueryRow(ctx, `SELECT epoch, access_issued_at, access_expires_at FROM clients WHERE id = $1 FOR UPDATE`,
		id).Scan(&stored, &issued, &accessExp); err != nil {
		return time.Time{}, err
	}
	if e := epoch.Truncate(time.Microsecond); !e.After(stored) || !e.After(issued) {
		return time.Time{}, gatehouse.ErrStale
	}
	return accessExp, nil
}

// RecordClientToken raises the client's AccessIssuedAt and
// AccessExpiresAt if its epoch is still epoch, in one statement.
func (s *Store) RecordClientToken(ctx context.Context, id string, epoch, iat, exp time.Time) error {
	var recorded, found bool
	err := s.pool.QueryRow(ctx, `WITH
		upd AS (UPDATE clients SET access_issued_at = GREATEST(access_issued_at, $3),
			access_expires_at = GREATEST(access_expires_at, $4) WHERE id = $1 AND epoch = $2 RETURNING id)
		SELECT EXISTS (SELECT 1 FROM upd), EXISTS (SELECT 1 FROM clients WHERE id = $1)`,
		id, utc(epoch), utc(iat), utc(exp)).Scan(&recorded, &found)
	switch {
	case err != nil:
		return wrap("record client token", err)
	case recorded:
		return nil
	case !found:
		return wrap("record client token", pgx.ErrNoRows)
	}
	return wrap("record client token", gatehouse.ErrStale)
}

// DeleteClient ends the client's sessions and revokes its own tokens, then
// removes it, in one transaction. The sessions are revoked by one UPDATE,
// which holds their rows: a rotation of one of them either committed
// before (and its access_expires_at is read here) or waits and then finds
// the session ended.
func (s *Store) DeleteClient(ctx context.Context, id, reason string, at, epoch time.Time) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockFeed); err != nil {
			return err
		}
		accessExp, err := newClientEpoch(ctx, tx, id, epoch)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM clients WHERE id = $1`, id); err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `WITH
			u AS (UPDATE sessions s SET revoked_at = $2, revoke_reason = $3
				WHERE s.client_id = $1 AND `+activeAt("$2")+` RETURNING s.id, s.access_expires_at),
			f AS (INSERT INTO revocations (kind, value, revoked_at, forget_at)
				SELECT 'sid', id, $2, GREATEST($2, access_expires_at + $4::interval) FROM u ORDER BY id
				ON CONFLICT (kind, value) DO UPDATE SET forget_at = GREATEST(revocations.forget_at, excluded.forget_at))
			SELECT count(*) FROM u`, id, utc(at), reason, gatehouse.RevocationMargin).Scan(&n)
		if err != nil {
			return err
		}
		return replaceSubjectEntry(ctx, tx, id, epoch, gatehouse.ForgetAt(at, accessExp))
	})
	if err != nil {
		return 0, wrap("delete client", err)
	}
	return n, nil
}
