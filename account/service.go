package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/audit"
	"github.com/gatehouse/gatehouse/password"
	"github.com/gatehouse/gatehouse/ratelimit"
	"github.com/gatehouse/gatehouse/session"
)

// Config configures a Service. Store and Passwords are required.
type Config struct {
	Store     gatehouse.Store
	Passwords *password.Hasher
	// Sessions starts the session of a login; Login needs it, user
	// management does not (the command line has none).
	Sessions *session.Manager
	// Throttle slows down password guessing and bounds sign-ups per
	// address; nil means none.
	Throttle *ratelimit.Throttle
	// Audit records every change; default a recorder on Store and Logger.
	Audit  *audit.Recorder
	Logger *slog.Logger
	Now    func() time.Time
}

// Service is the one place where users change. It is safe for concurrent
// use, and several processes (replicas, the command line) may use one
// store at once: every write is conditional on the state it was decided
// from.
type Service struct {
	store     gatehouse.Store
	passwords *password.Hasher
	sessions  *session.Manager
	throttle  *ratelimit.Throttle
	audit     *audit.Recorder
	log       *slog.Logger
	now       func() time.Time
	metrics   *serviceMetrics
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Passwords == nil {
		return nil, errors.New("account: Store and Passwords are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Audit == nil {
		cfg.Audit = audit.New(cfg.Store, cfg.Logger, cfg.Now)
	}
	return &Service{
		store: cfg.Store, passwords: cfg.Passwords, sessions: cfg.Sessions, throttle: cfg.Throttle,
		audit: cfg.Audit, log: cfg.Logger, now: cfg.Now, metrics: newServiceMetrics(),
	}, nil
}

// Actor is who makes a change, for the audit log.
type Actor = audit.Actor

// CommandLine is the actor of the command line.
var CommandLine = audit.CommandLine

// record writes an audit event about user id made by actor.
func (s *Service) record(ctx context.Context, by Actor, kind, userID, detail string) {
	s.audit.RecordBy(ctx, by, kind, userID, detail)
}

// clock is the service's time in UTC, to the microsecond every store keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Get returns the user with this id. ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*gatehouse.User, error) {
	u, err := s.store.UserByID(ctx, id)
	return u, storeError(err)
}

// ByName returns the user with this name (in any form that has the same
// canonical form). ErrNotFound, also for a name that has none.
func (s *Service) ByName(ctx context.Context, name string) (*gatehouse.User, error) {
	canon, err := CanonicalUsername(name)
	if err != nil {
		return nil, ErrNotFound
	}
	u, err := s.store.UserByUsername(ctx, canon)
	return u, storeError(err)
}

// List returns every user, ordered by name.
func (s *Service) List(ctx context.Context) ([]*gatehouse.User, error) {
	us, err := s.store.ListUsers(ctx, "", 0)
	return us, storeError(err)
}

// Page returns at most limit users (limit > 0) whose names sort after
// after, ordered by name (byte order of the canonical form): pass the
// last name of a page as after to get the next.
func (s *Service) Page(ctx context.Context, after string, limit int) ([]*gatehouse.User, error) {
	if limit <= 0 {
		return nil, errors.New("account: a page needs a positive limit")
	}
	us, err := s.store.ListUsers(ctx, after, limit)
	return us, storeError(err)
}

// storeError maps the store's not-found to the service's.
func storeError(err error) error {
	if errors.Is(err, gatehouse.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("account: %w", err)
	}
	return nil
}
