package storetest

import (
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

// Lifetimes of the sessions the fixtures create.
const (
	idleTTL = time.Hour
	maxAge  = 24 * time.Hour
	grace   = 10 * time.Second
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

// newSession is a session of userID created at start, with its first
// refresh token, whose string is id+"/0".
func newSession(id, userID string, start time.Time) (*gatehouse.Session, *gatehouse.RefreshToken) {
	s := &gatehouse.Session{
		ID:            id,
		UserID:        userID,
		ClientID:      gatehouse.FirstPartyClientID,
		Scopes:        []string{"read"},
		AuthTime:      start,
		CreatedAt:     start,
		LastUsedAt:    start,
		IdleExpiresAt: start.Add(idleTTL),
		ExpiresAt:     start.Add(maxAge),
		UserAgent:     "test-agent/1.0",
		IP:            "192.0.2.1",
	}
	return s, &gatehouse.RefreshToken{Hash: hash(id + "/0"), SessionID: id, CreatedAt: start}
}

// createSession stores a session of userID created at start and returns it
// with the hash of its first refresh token.
func createSession(t *testing.T, s gatehouse.Store, id, userID string, start time.Time) (*gatehouse.Session, []byte) {
	t.Helper()
	sess, first := newSession(id, userID, start)
	if err := s.CreateSession(context.Background(), sess, first); err != nil {
		t.Fatalf("CreateSession(%s): %v", id, err)
	}
	return sess, first.Hash
}

// rotation asks to replace the token oldTok by newTok at now.
func rotation(oldTok, newTok string, now time.Time) *gatehouse.Rotation {
	return &gatehouse.Rotation{
		OldHash:    hash(oldTok),
		Next:       gatehouse.RefreshToken{Hash: hash(newTok), CreatedAt: now},
		SealedNext: []byte("sealed:" + newTok),
		Now:        now,
		Grace:      grace,
		IdleTTL:    idleTTL,
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
		got.RevokeReason != want.RevokeReason {
		t.Errorf("session = %+v, want %+v", got, want)
	}
	checkTime(t, "AuthTime", got.AuthTime, want.AuthTime)
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	checkTime(t, "IdleExpiresAt", got.IdleExpiresAt, want.IdleExpiresAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, "RevokedAt", got.RevokedAt, want.RevokedAt)
}

// sessionIDs are the ids of ss, in order.
func sessionIDs(ss []*gatehouse.Session) []string {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = s.ID
	}
	return ids
}
