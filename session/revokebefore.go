package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
)

// EndSessionsIssuedBefore ends every session created before before that
// is active at now, each as a logout does: revoked, with a "sid" entry in
// the revocation feed, so Gatehouse and every resource server that reads
// the feed (guard, the Python package) refuse its access tokens at once.
// It is what an operator runs after restoring a backup: sessions revoked
// after the backup was taken are active again in the copy
// (docs/operations.md). It reads the users page by page and ends their
// sessions one by one: a session created while it runs, after before,
// is left alone. It returns how many sessions it ended.
func EndSessionsIssuedBefore(ctx context.Context, st gatehouse.Store, rec *audit.Recorder, before, now time.Time, reason string) (int, error) {
	const page = 500
	now = now.UTC().Truncate(time.Microsecond)
	ended := 0
	for after := ""; ; {
		users, err := st.ListUsers(ctx, after, page)
		if err != nil {
			return ended, fmt.Errorf("end sessions: %w", err)
		}
		for _, u := range users {
			ss, err := st.ListSessions(ctx, u.ID, now)
			if err != nil {
				return ended, fmt.Errorf("end sessions of %s: %w", u.ID, err)
			}
			for _, s := range ss {
				if !s.CreatedAt.Before(before) {
					continue
				}
				err := st.RevokeSession(ctx, s.ID, reason, now)
				if errors.Is(err, gatehouse.ErrNotFound) {
					continue // purged or deleted meanwhile
				}
				if err != nil {
					return ended, fmt.Errorf("end session: %w", err)
				}
				rec.Record(ctx, &gatehouse.Event{
					Kind: gatehouse.EventSessionRevoked, UserID: s.UserID, SessionID: s.ID, ClientID: s.ClientID, Detail: reason,
				})
				ended++
			}
		}
		if len(users) < page {
			return ended, nil
		}
		after = users[len(users)-1].Username
	}
}
