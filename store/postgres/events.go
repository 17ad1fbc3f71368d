package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse/gatehouse"
)

// RecordEvent appends e and sets e.ID.
func (st *Store) RecordEvent(ctx context.Context, e *gatehouse.Event) error {
	err := st.pool.QueryRow(ctx, `INSERT INTO events (time, kind, user_id, session_id, client_id, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		utc(e.Time), e.Kind, e.UserID, e.SessionID, e.ClientID, e.IP, e.Detail).Scan(&e.ID)
	return wrap("record event", err)
}

// Events returns up to limit events with ID < before (all when before is
// 0), newest first, only those of userID unless it is empty.
func (st *Store) Events(ctx context.Context, userID string, before int64, limit int) ([]*gatehouse.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := st.pool.Query(ctx, `SELECT id, time, kind, user_id, session_id, client_id, ip, detail FROM events
		WHERE ($1 = '' OR user_id = $1) AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, userID, before, limit)
	if err != nil {
		return nil, wrap("events", err)
	}
	es, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.Event, error) {
		var e gatehouse.Event
		err := r.Scan(&e.ID, &e.Time, &e.Kind, &e.UserID, &e.SessionID, &e.ClientID, &e.IP, &e.Detail)
		e.Time = utc(e.Time)
		return &e, err
	})
	return es, wrap("events", err)
}
