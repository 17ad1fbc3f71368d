package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func randomHash() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	h := sha256.Sum256(b)
	return h[:]
}

// ensureUser stores an enabled user id in the zero epoch, unless the
// store has it already: sessions live only under an existing user.
func ensureUser(t testing.TB, s *Store, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.UserByID(ctx, id); !errors.Is(err, gatehouse.ErrNotFound) {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	u := &gatehouse.User{ID: id, Username: id, PasswordHash: "x", CreatedAt: t0, UpdatedAt: t0, PasswordChangedAt: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
}

// newSession stores a session of user u1 (created if needed), active from
// t0 for a day, with a family and its first refresh token, whose hash it
// returns.
func newSession(t testing.TB, s *Store, id string) []byte {
	t.Helper()
	return newSessionOfFamily(t, s, id, randomHash())
}

// newSessionOfFamily is newSession with the given FamilyHash (nil for a
// session from before families).
func newSessionOfFamily(t testing.TB, s *Store, id string, family []byte) []byte {
	t.Helper()
	ensureUser(t, s, "u1")
	first := randomHash()
	err := s.CreateSession(context.Background(), &gatehouse.Session{
		ID: id, UserID: "u1", ClientID: gatehouse.FirstPartyClientID, Scopes: []string{"read", "write"},
		AuthTime: t0, CreatedAt: t0, LastUsedAt: t0,
		IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
		FamilyHash: family, AccessExpiresAt: t0.Add(15 * time.Minute),
	}, &gatehouse.RefreshToken{Hash: first, SessionID: id, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// rotation asks to rotate old at now, with a fresh successor.
func rotation(old []byte, now time.Time) *gatehouse.Rotation {
	next := randomHash()
	return &gatehouse.Rotation{
		ClientID:   gatehouse.FirstPartyClientID,
		OldHash:    old,
		Next:       gatehouse.RefreshToken{Hash: next, CreatedAt: now},
		SealedNext: append([]byte("sealed:"), next...),
		Now:        now,
		Grace:      10 * time.Second,
		IdleTTL:    time.Hour,

		AccessExpiresAt: now.Add(15 * time.Minute),
		IP:              "192.0.2.1",
		UserAgent:       "test/1.0",
	}
}
