package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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

// newSession stores a session, active from t0 for a day, with its first
// refresh token, whose hash it returns.
func newSession(t testing.TB, s *Store, id string) []byte {
	t.Helper()
	first := randomHash()
	err := s.CreateSession(context.Background(), &gatehouse.Session{
		ID: id, UserID: "u1", ClientID: gatehouse.FirstPartyClientID, Scopes: []string{"read", "write"},
		AuthTime: t0, CreatedAt: t0, LastUsedAt: t0,
		IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
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
		OldHash:    old,
		Next:       gatehouse.RefreshToken{Hash: next, CreatedAt: now},
		SealedNext: append([]byte("sealed:"), next...),
		Now:        now,
		Grace:      10 * time.Second,
		IdleTTL:    time.Hour,
	}
}
