package session

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Retention says how long housekeeping keeps what no longer counts
// (docs/operations.md). A live session is never purged, and keeps at most
// two refresh-token rows (its live token and the one it replaced), so the
// refresh history is bounded by the sessions; revocation-feed entries go
// once forgettable, whatever the retention.
type Retention struct {
	// EndedSessions: sessions that ended (expired, idle-expired, revoked)
	// more than this long ago are deleted with their refresh tokens, so
	// that /admin and audits still see them for a while. Default 24h.
	EndedSessions time.Duration
	// Events: audit events older than this are deleted; 0 keeps them
	// for ever.
	Events time.Duration
}

// DefaultRetention is what `gatehouse serve` keeps unless told otherwise.
var DefaultRetention = Retention{EndedSessions: 24 * time.Hour, Events: 90 * 24 * time.Hour}

// Purge deletes sessions that ended longer ago than the retention, feed
// entries that no longer match any live token and audit events past
// their retention, and drops the sealed successors no retry can need any
// more (DropSealed). The store deletes in small batches, so that a purge
// of a large backlog never blocks logins and refreshes for long.
func (m *Manager) Purge(ctx context.Context) (gatehouse.PurgeStats, error) {
	if _, err := m.DropSealed(ctx); err != nil {
		return gatehouse.PurgeStats{}, err
	}
	now := m.now()
	st, err := m.store.Purge(ctx, now, now.Add(-m.cfg.Retention.EndedSessions))
	if err != nil {
		return st, err
	}
	if m.cfg.Retention.Events > 0 {
		st.Events, err = m.store.PurgeEvents(ctx, now.Add(-m.cfg.Retention.Events))
	}
	return st, err
}

// RunHousekeeping purges every interval, and drops sealed successors once
// per grace window, until ctx ends.
func (m *Manager) RunHousekeeping(ctx context.Context, every time.Duration) {
	purge := time.NewTicker(every)
	defer purge.Stop()
	sealed := time.NewTicker(max(m.cfg.Grace, time.Second))
	defer sealed.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sealed.C:
			if _, err := m.DropSealed(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("housekeeping", "err", err)
			}
		case <-purge.C:
			st, err := m.Purge(ctx)
			if err != nil && ctx.Err() == nil {
				m.log.Error("housekeeping", "err", err, "sessions_purged", st.Sessions, "revocations_purged", st.Revocations, "events_purged", st.Events)
				continue
			}
			if st != (gatehouse.PurgeStats{}) {
				m.log.Info("housekeeping", "sessions_purged", st.Sessions, "revocations_purged", st.Revocations, "events_purged", st.Events)
			}
		}
	}
}
