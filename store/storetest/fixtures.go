package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Base is the fixed time every test counts from: microsecond precision, so
// that values derived from it survive a round trip unchanged.
var Base = time.Date(2031, time.March, 4, 5, 6, 7, 123456000, time.UTC)

// at is Base + d.
func at(d time.Duration) time.Time { return Base.Add(d) }

// Lifetimes of the sessions and access tokens the fixtures create.
const (
	idleTTL   = time.Hour
	maxAge    = 24 * time.Hour
	grace     = 10 * time.Second
	accessTTL = 15 * time.Minute
)

// Where the fixtures' logins and refreshes come from.
const (
	loginIP, loginAgent     = "192.0.2.1", "test-agent/1.0"
	refreshIP, refreshAgent = "198.51.100.7", "test-agent/2.0"
)

// test is one behaviour, checked on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s gatehouse.Store)
}

// runGroup runs each test of a group on its own fresh store.
func runGroup(t *testing.T, group string, tests []test, newStore func(t *testing.T) gatehouse.Store) {
	t.Run(group, func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
		}
	})
}

// hash is the SHA-256 of a token string, as the server stores it.
func hash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

func newUser(id, username string) *gatehouse.User {
	return &gatehouse.User{
		ID:                id,
		Username:          username,
		PasswordHash:      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		Scopes:            []string{"read", "write"},
		CreatedAt:         at(0),
		UpdatedAt:         at(time.Minute),
		PasswordChangedAt: at(2 * time.Minute),
	}
}

// ensureUser returns the stored user id, creating it (named after its id)
// if the store does not have it: sessions live only under an existing user.
func ensureUser(t *testing.T, s gatehouse.Store, id string) *gatehouse.User {
	t.Helper()
	ctx := context.Background()
	u, err := s.UserByID(ctx, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		must(t, "CreateUser("+id+")", s.CreateUser(ctx, newUser(id, id)))
		u, err = s.UserByID(ctx, id)
	}
	must(t, "UserByID("+id+")", err)
	return u
}

// familyOf is the FamilyHash of the fixtures' session id.
func familyOf(id string) []byte { return hash(id + "/family") }

// newSession is a session of userID created at start, in the zero epoch,
// with a family and the access token of the login, and its first refresh
// token, whose string is id+"/0".
func newSession(id, userID string, start time.Time) (*gatehouse.Session, *gatehouse.RefreshToken) {
	s := &gatehouse.Session{
		ID:              id,
		UserID:          userID,
		ClientID:        gatehouse.FirstPartyClientID,
		Scopes:          []string{"read"},
		AuthTime:        start,
		CreatedAt:       start,
		LastUsedAt:      start,
		IdleExpiresAt:   start.Add(idleTTL),
		ExpiresAt:       start.Add(maxAge),
		UserAgent:       loginAgent,
		IP:              loginIP,
		FamilyHash:      familyOf(id),
		AccessExpiresAt: start.Add(accessTTL),
	}
	return s, &gatehouse.RefreshToken{Hash: hash(id + "/0"), SessionID: id, CreatedAt: start}
}

// storeSession stores sess and first under sess.UserID, creating the user
// if needed and taking its current epoch, as a login does.
func storeSession(t *testing.T, s gatehouse.Store, sess *gatehouse.Session, first *gatehouse.RefreshToken) {
	t.Helper()
	sess.Epoch = ensureUser(t, s, sess.UserID).Epoch
	must(t, "CreateSession("+sess.ID+")", s.CreateSession(context.Background(), sess, first))
}

// createSession stores a session of userID created at start (creating the
// user if needed) and returns it with the hash of its first refresh token.
func createSession(t *testing.T, s gatehouse.Store, id, userID string, start time.Time) (*gatehouse.Session, []byte) {
	t.Helper()
	sess, first := newSession(id, userID, start)
	storeSession(t, s, sess, first)
	return sess, first.Hash
}

// rotation asks to replace the token oldTok by newTok at now, from the
// refresh address and agent, for an access token expiring accessTTL later.
func rotation(oldTok, newTok string, now time.Time) *gatehouse.Rotation {
	return &gatehouse.Rotation{
		OldHash:         hash(oldTok),
		ClientID:        gatehouse.FirstPartyClientID,
		Next:            gatehouse.RefreshToken{Hash: hash(newTok), CreatedAt: now},
		SealedNext:      []byte("sealed:" + newTok),
		Now:             now,
		Grace:           grace,
		IdleTTL:         idleTTL,
		AccessExpiresAt: now.Add(accessTTL),
		IP:              refreshIP,
		UserAgent:       refreshAgent,
	}
}

// rotate rotates oldTok to newTok at now and fails the test unless it
// rotated (not a retry).
func rotate(t *testing.T, s gatehouse.Store, oldTok, newTok string, now time.Time) *gatehouse.RotationResult {
	t.Helper()
	res, err := s.RotateRefreshToken(context.Background(), rotation(oldTok, newTok, now))
	if err != nil {
		t.Fatalf("RotateRefreshToken(%s → %s): %v", oldTok, newTok, err)
	}
	if res.Retry {
		t.Fatalf("RotateRefreshToken(%s → %s): a retry, want a rotation", oldTok, newTok)
	}
	return res
}

// rotated is sess as a rotation at now (the fixtures' rotation) leaves it.
func rotated(sess *gatehouse.Session, now time.Time) *gatehouse.Session {
	want := *sess
	want.LastUsedAt = now
	want.IdleExpiresAt = now.Add(idleTTL)
	if want.IdleExpiresAt.After(sess.ExpiresAt) {
		want.IdleExpiresAt = sess.ExpiresAt
	}
	want.LastIP, want.LastUserAgent = refreshIP, refreshAgent
	want.AccessExpiresAt = later(sess.AccessExpiresAt, now.Add(accessTTL))
	return &want
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// moveEpoch moves the stored user's epoch at now (what a password change
// or "end all sessions" does) and returns the user as written and how many
// sessions the store ended.
func moveEpoch(t *testing.T, s gatehouse.Store, userID, reason string, now time.Time) (*gatehouse.User, int) {
	t.Helper()
	u, err := s.UserByID(context.Background(), userID)
	must(t, "UserByID", err)
	u.Epoch = gatehouse.NextEpoch(now, u.Epoch)
	u.UpdatedAt = now
	n, err := s.UpdateUser(context.Background(), u, reason)
	must(t, "UpdateUser (epoch move)", err)
	return u, n
}

// sameTime reports whether a and b are the same instant at microsecond
// precision, and got is in UTC.
func sameTime(got, want time.Time) bool {
	if want.IsZero() {
		return got.IsZero()
	}
	return got.Location() == time.UTC && got.Equal(want.Truncate(time.Microsecond))
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s = %v (%v), want %v in UTC", what, got, got.Location(), want.Truncate(time.Microsecond).UTC())
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// must fails the test on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func checkSession(t *testing.T, got, want *gatehouse.Session) {
	t.Helper()
	if got == nil {
		t.Fatalf("session %s: nil", want.ID)
	}
	if got.ID != want.ID || got.UserID != want.UserID || got.ClientID != want.ClientID ||
		!slices.Equal(got.Scopes, want.Scopes) || got.UserAgent != want.UserAgent || got.IP != want.IP ||
		got.RevokeReason != want.RevokeReason || !bytes.Equal(got.FamilyHash, want.FamilyHash) {
		t.Errorf("session = %+v, want %+v", got, want)
	}
	// Until a refresh, the last address and agent are the login's.
	lastIP, lastAgent := want.LastIP, want.LastUserAgent
	if lastIP == "" && lastAgent == "" {
		lastIP, lastAgent = want.IP, want.UserAgent
	}
	if got.LastIP != lastIP || got.LastUserAgent != lastAgent {
		t.Errorf("session %s last used from %q (%q), want %q (%q)", want.ID, got.LastIP, got.LastUserAgent, lastIP, lastAgent)
	}
	checkTime(t, "AuthTime", got.AuthTime, want.AuthTime)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	checkTime(t, "IdleExpiresAt", got.IdleExpiresAt, want.IdleExpiresAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, "RevokedAt", got.RevokedAt, want.RevokedAt)
	checkTime(t, "Epoch", got.Epoch, want.Epoch)
	checkTime(t, "AccessExpiresAt", got.AccessExpiresAt, want.AccessExpiresAt)
}

// sessionIDs are the ids of ss, in order.
func sessionIDs(ss []*gatehouse.Session) []string {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.ID
	}
	return ids
}

// equalSorted reports whether a and b hold the same strings in any order.
func equalSorted(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
