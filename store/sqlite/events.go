package sqlite

import (
	"context"

	"github.com/gatehouse/gatehouse"
)

// RecordEvent appends e and sets e.ID.
func (st *Store) RecordEvent(ctx context.Context, e *gatehouse.Event) error {
	var id int64
	err := st.write(ctx, func(tx *wtx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO events (time, kind, user_id, session_id, client_id, ip, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			micros(e.Time), e.Kind, e.UserID, e.SessionID, e.ClientID, e.IP, e.Detail).Scan(&id)
	})
	if err == nil {
		e.ID = id
	}
	return wrap("record event", err)
}

// Events returns up to limit events with ID < before (all when before is
// 0), newest first, only those of userID unless it is empty. No events
// when limit is not positive.
func (st *Store) Events(ctx context.Context, userID string, before int64, limit int) ([]*gatehouse.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := st.r.QueryContext(ctx, `SELECT id, time, kind, user_id, session_id, client_id, ip, detail FROM events
		WHERE (?1 = '' OR user_id = ?1) AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3`, userID, before, limit)
	if err != nil {
		return nil, wrap("events", err)
	}
	es, err := collect(rows, func(r scanner) (*gatehouse.Event, error) {
		var (
			e  gatehouse.Event
			at int64
		)
		err := r.Scan(&e.ID, &at, &e.Kind, &e.UserID, &e.SessionID, &e.ClientID, &e.IP, &e.Detail)
		e.Time = fromMicros(at)
		return &e, err
	})
	return es, wrap("events", err)
}
