package resilient

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Every method of gatehouse.Store, each under its own name (the op given
// to Observe and to the failure log).

func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	return run(s, ctx, "CreateUser", write, func(ctx context.Context) error { return s.next.CreateUser(ctx, u) })
}

func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	return call(s, ctx, "UserByID", read, func(ctx context.Context) (*gatehouse.User, error) { return s.next.UserByID(ctx, id) })
}

func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	return call(s, ctx, "UserByUsername", read, func(ctx context.Context) (*gatehouse.User, error) {
		return s.next.UserByUsername(ctx, username)
	})
}

func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]*gatehouse.User, error) {
	return call(s, ctx, "ListUsers", read, func(ctx context.Context) ([]*gatehouse.User, error) {
		return s.next.ListUsers(ctx, after, limit)
	})
}

func (s *Store) UsersByUsername(ctx context.Context, usernames []string) ([]*gatehouse.User, error) {
	return call(s, ctx, "UsersByUsername", read, func(ctx context.Context) ([]*gatehouse.User, error) {
		return s.next.UsersByUsername(ctx, usernames)
	})
}

func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User, reason string) (int, error) {
	return call(s, ctx, "UpdateUser", write, func(ctx context.Context) (int, error) { return s.next.UpdateUser(ctx, u, reason) })
}

func (s *Store) ReplacePasswordHash(ctx context.Context, id, oldHash, newHash string, at time.Time) error {
	return run(s, ctx, "ReplacePasswordHash", write, func(ctx context.Context) error {
		return s.next.ReplacePasswordHash(ctx, id, oldHash, newHash, at)
	})
}

func (s *Store) DeleteUser(ctx context.Context, id, reason string, at time.Time) (int, error) {
	return call(s, ctx, "DeleteUser", write, func(ctx context.Context) (int, error) { return s.next.DeleteUser(ctx, id, reason, at) })
}

func (s *Store) ImportUsers(ctx context.Context, creates, updates []*gatehouse.User, reason string) (int, error) {
	return call(s, ctx, "ImportUsers", bulk, func(ctx context.Context) (int, error) {
		return s.next.ImportUsers(ctx, creates, updates, reason)
	})
}

func (s *Store) CreateClient(ctx context.Context, c *gatehouse.Client) error {
	return run(s, ctx, "CreateClient", write, func(ctx context.Context) error { return s.next.CreateClient(ctx, c) })
}

func (s *Store) ClientByID(ctx context.Context, id string) (*gatehouse.Client, error) {
	return call(s, ctx, "ClientByID", read, func(ctx context.Context) (*gatehouse.Client, error) { return s.next.ClientByID(ctx, id) })
}

func (s *Store) ListClients(ctx context.Context) ([]*gatehouse.Client, error) {
	return call(s, ctx, "ListClients", read, s.next.ListClients)
}

func (s *Store) RotateClientSecret(ctx context.Context, id, secretHash string, epoch time.Time) error {
	return run(s, ctx, "RotateClientSecret", write, func(ctx context.Context) error {
		return s.next.RotateClientSecret(ctx, id, secretHash, epoch)
	})
}

func (s *Store) RecordClientToken(ctx context.Context, id string, epoch, iat, exp time.Time) error {
	return run(s, ctx, "RecordClientToken", write, func(ctx context.Context) error {
		return s.next.RecordClientToken(ctx, id, epoch, iat, exp)
	})
}

func (s *Store) DeleteClient(ctx context.Context, id, reason string, at, epoch time.Time) (int, error) {
	return call(s, ctx, "DeleteClient", write, func(ctx context.Context) (int, error) {
		return s.next.DeleteClient(ctx, id, reason, at, epoch)
	})
}

func (s *Store) CreateSession(ctx context.Context, sess *gatehouse.Session, first *gatehouse.RefreshToken) error {
	return run(s, ctx, "CreateSession", write, func(ctx context.Context) error { return s.next.CreateSession(ctx, sess, first) })
}

func (s *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	return call(s, ctx, "Session", read, func(ctx context.Context) (*gatehouse.Session, error) { return s.next.Session(ctx, id) })
}

func (s *Store) TokenState(ctx context.Context, sid, jti, kid string) (*gatehouse.TokenState, error) {
	return call(s, ctx, "TokenState", read, func(ctx context.Context) (*gatehouse.TokenState, error) {
		return s.next.TokenState(ctx, sid, jti, kid)
	})
}

func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]*gatehouse.Session, error) {
	return call(s, ctx, "ListSessions", read, func(ctx context.Context) ([]*gatehouse.Session, error) {
		return s.next.ListSessions(ctx, userID, now)
	})
}

func (s *Store) RotateRefreshToken(ctx context.Context, r *gatehouse.Rotation) (*gatehouse.RotationResult, error) {
	return call(s, ctx, "RotateRefreshToken", write, func(ctx context.Context) (*gatehouse.RotationResult, error) {
		return s.next.RotateRefreshToken(ctx, r)
	})
}

func (s *Store) SessionByRefreshHash(ctx context.Context, hash []byte) (*gatehouse.Session, error) {
	return call(s, ctx, "SessionByRefreshHash", read, func(ctx context.Context) (*gatehouse.Session, error) {
		return s.next.SessionByRefreshHash(ctx, hash)
	})
}

func (s *Store) SessionByFamily(ctx context.Context, familyHash []byte) (*gatehouse.Session, error) {
	return call(s, ctx, "SessionByFamily", read, func(ctx context.Context) (*gatehouse.Session, error) {
		return s.next.SessionByFamily(ctx, familyHash)
	})
}

func (s *Store) RevokeSession(ctx context.Context, id, reason string, at time.Time) error {
	return run(s, ctx, "RevokeSession", write, func(ctx context.Context) error { return s.next.RevokeSession(ctx, id, reason, at) })
}

func (s *Store) DropSealedSuccessors(ctx context.Context, rotatedBefore time.Time) (int, error) {
	return call(s, ctx, "DropSealedSuccessors", write, func(ctx context.Context) (int, error) {
		return s.next.DropSealedSuccessors(ctx, rotatedBefore)
	})
}

func (s *Store) RevokeAccessToken(ctx context.Context, jti string, at, forgetAt time.Time) error {
	return run(s, ctx, "RevokeAccessToken", write, func(ctx context.Context) error {
		return s.next.RevokeAccessToken(ctx, jti, at, forgetAt)
	})
}

func (s *Store) IsRevoked(ctx context.Context, jti, sid string) (bool, error) {
	return call(s, ctx, "IsRevoked", read, func(ctx context.Context) (bool, error) { return s.next.IsRevoked(ctx, jti, sid) })
}

func (s *Store) Revocations(ctx context.Context, since int64, limit int, now time.Time) ([]gatehouse.Revocation, error) {
	return call(s, ctx, "Revocations", read, func(ctx context.Context) ([]gatehouse.Revocation, error) {
		return s.next.Revocations(ctx, since, limit, now)
	})
}

func (s *Store) RevocationBounds(ctx context.Context) (gatehouse.FeedBounds, error) {
	return call(s, ctx, "RevocationBounds", read, s.next.RevocationBounds)
}

// WaitRevocations blocks by design until the feed moves or ctx ends (a
// long poll), so it gets no deadline of its own; its failures are still
// classified and observed.
func (s *Store) WaitRevocations(ctx context.Context, since int64) error {
	start := time.Now()
	err := s.next.WaitRevocations(ctx, since)
	return s.finish(ctx, "WaitRevocations", read, start, err)
}

func (s *Store) SigningKeys(ctx context.Context) (*gatehouse.KeyPolicy, []*gatehouse.SigningKey, error) {
	type keys struct {
		p *gatehouse.KeyPolicy
		k []*gatehouse.SigningKey
	}
	r, err := call(s, ctx, "SigningKeys", read, func(ctx context.Context) (keys, error) {
		p, k, err := s.next.SigningKeys(ctx)
		return keys{p, k}, err
	})
	return r.p, r.k, err
}

func (s *Store) SetKeyPolicy(ctx context.Context, p *gatehouse.KeyPolicy) error {
	return run(s, ctx, "SetKeyPolicy", write, func(ctx context.Context) error { return s.next.SetKeyPolicy(ctx, p) })
}

func (s *Store) InitSigningKeys(ctx context.Context, active, next *gatehouse.SigningKey) (bool, error) {
	return call(s, ctx, "InitSigningKeys", write, func(ctx context.Context) (bool, error) {
		return s.next.InitSigningKeys(ctx, active, next)
	})
}

func (s *Store) RotateSigningKeys(ctx context.Context, r *gatehouse.KeyRotation) error {
	return run(s, ctx, "RotateSigningKeys", write, func(ctx context.Context) error { return s.next.RotateSigningKeys(ctx, r) })
}

func (s *Store) ReplaceNextKey(ctx context.Context, oldID string, next *gatehouse.SigningKey) error {
	return run(s, ctx, "ReplaceNextKey", write, func(ctx context.Context) error { return s.next.ReplaceNextKey(ctx, oldID, next) })
}

func (s *Store) RevokeSigningKey(ctx context.Context, r *gatehouse.KeyRevocation) (*gatehouse.SigningKey, error) {
	return call(s, ctx, "RevokeSigningKey", write, func(ctx context.Context) (*gatehouse.SigningKey, error) {
		return s.next.RevokeSigningKey(ctx, r)
	})
}

func (s *Store) RecordSigned(ctx context.Context, id string, until time.Time) error {
	return run(s, ctx, "RecordSigned", write, func(ctx context.Context) error { return s.next.RecordSigned(ctx, id, until) })
}

func (s *Store) DeleteRetiredKey(ctx context.Context, id string, before time.Time) (bool, error) {
	return call(s, ctx, "DeleteRetiredKey", write, func(ctx context.Context) (bool, error) {
		return s.next.DeleteRetiredKey(ctx, id, before)
	})
}

func (s *Store) SealSigningKeys(ctx context.Context, k *gatehouse.KeySealing) error {
	return run(s, ctx, "SealSigningKeys", write, func(ctx context.Context) error { return s.next.SealSigningKeys(ctx, k) })
}

func (s *Store) RecordEvent(ctx context.Context, e *gatehouse.Event) error {
	return run(s, ctx, "RecordEvent", write, func(ctx context.Context) error { return s.next.RecordEvent(ctx, e) })
}

func (s *Store) Events(ctx context.Context, userID string, before int64, limit int) ([]*gatehouse.Event, error) {
	return call(s, ctx, "Events", read, func(ctx context.Context) ([]*gatehouse.Event, error) {
		return s.next.Events(ctx, userID, before, limit)
	})
}

func (s *Store) PurgeEvents(ctx context.Context, before time.Time) (int, error) {
	return call(s, ctx, "PurgeEvents", bulk, func(ctx context.Context) (int, error) {
		return s.next.PurgeEvents(ctx, before)
	})
}

func (s *Store) Purge(ctx context.Context, now, sessionCutoff time.Time) (gatehouse.PurgeStats, error) {
	return call(s, ctx, "Purge", bulk, func(ctx context.Context) (gatehouse.PurgeStats, error) {
		return s.next.Purge(ctx, now, sessionCutoff)
	})
}

func (s *Store) Ping(ctx context.Context) error {
	return run(s, ctx, "Ping", read, s.next.Ping)
}

// Close closes the wrapped store, waiting at most the call deadline: a
// frozen database must not hold the process's exit (the store's
// connections are then left to the operating system). It returns
// gatehouse.ErrUnavailable when it gave up waiting.
func (s *Store) Close() error {
	return s.CloseWithin(s.timeout)
}

// CloseWithin is Close waiting at most d. The wrapped store is closed
// once, however often it is called.
func (s *Store) CloseWithin(d time.Duration) error {
	s.closeOnce.Do(func() {
		s.closed = make(chan struct{})
		go func() {
			s.closeErr = s.next.Close()
			close(s.closed)
		}()
	})
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.closed:
		return s.closeErr
	case <-t.C:
		return &unavailableError{op: "Close", cause: CauseTimeout, err: context.DeadlineExceeded}
	}
}
