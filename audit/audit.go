// Package audit records what happened to accounts and sessions: one
// recorder, used by the session manager, the account service and the
// command line alike, writes each event to the store (the admin API lists
// them) and its twin to the structured log. Events carry ids, addresses,
// user agents and a detail written by Gatehouse, never a password or a
// token.
package audit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Recorder writes audit events. It is safe for concurrent use. A nil
// *Recorder records nothing.
type Recorder struct {
	store gatehouse.AuditStore
	log   *slog.Logger
	now   func() time.Time
}

// New returns a Recorder writing to store and log (either may be nil),
// stamping events with now (time.Now when nil).
func New(store gatehouse.AuditStore, log *slog.Logger, now func() time.Time) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Recorder{store: store, log: log, now: now}
}

// Record stamps e with the time and writes it. A failure to store it is
// logged, not returned: the action it records has already happened.
func (r *Recorder) Record(ctx context.Context, e *gatehouse.Event) {
	if r == nil {
		return
	}
	e.Time = r.now().UTC()
	r.log.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("kind", e.Kind), slog.String("user_id", e.UserID),
		slog.String("session_id", e.SessionID), slog.String("client_id", e.ClientID), slog.String("ip", e.IP),
		slog.String("detail", e.Detail))
	if r.store == nil {
		return
	}
	// An unavailable store is logged where it fails, rate-limited
	// (store/resilient); the event itself is in the line above.
	if err := r.store.RecordEvent(ctx, e); err != nil && !errors.Is(err, gatehouse.ErrUnavailable) {
		r.log.LogAttrs(ctx, slog.LevelError, "record audit event", slog.String("kind", e.Kind), slog.Any("err", err))
	}
}

// Actor is who makes a change, for the audit log.
type Actor struct {
	// By names the actor in the event's detail: an admin's user id, "the
	// command line", "sign-up".
	By       string
	ClientID string
	IP       string
}

// CommandLine is the actor of the command line.
var CommandLine = Actor{By: "the command line"}

// RecordBy writes an event of kind about user userID made by actor by,
// naming the actor at the end of detail.
func (r *Recorder) RecordBy(ctx context.Context, by Actor, kind, userID, detail string) {
	if by.By != "" {
		detail += " (by " + by.By + ")"
	}
	r.Record(ctx, &gatehouse.Event{Kind: kind, UserID: userID, ClientID: by.ClientID, IP: by.IP, Detail: detail})
}
