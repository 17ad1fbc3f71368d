package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/store/sqlite"
)

// States no method writes (DeleteUser removes the sessions with the user;
// an epoch move revokes them), made by hand, to check that the outer joins
// read a missing user as nil and that the user alone decides.

// sessionWithRotation stores user u1's session s1, rotated once at t0+1m
// (Q0 → Q1), and returns the store.
func sessionWithRotation(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s := openMigrated(t, filepath.Join(t.TempDir(), "g.db"))
	createUser(t, s, "u1")
	sess := &gatehouse.Session{ID: "s1", UserID: "u1", ClientID: "gatehouse", AuthTime: t0, CreatedAt: t0,
		LastUsedAt: t0, IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(24 * time.Hour),
		FamilyHash: []byte("family"), AccessExpiresAt: t0.Add(15 * time.Minute)}
	if err := s.CreateSession(ctx, sess, &gatehouse.RefreshToken{Hash: []byte("Q0"), SessionID: "s1", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefreshToken(ctx, stateRotation("Q0", "Q1", t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	return s
}

func stateRotation(old, next string, now time.Time) *gatehouse.Rotation {
	return &gatehouse.Rotation{ClientID: gatehouse.FirstPartyClientID, OldHash: []byte(old), Next: gatehouse.RefreshToken{Hash: []byte(next), CreatedAt: now},
		SealedNext: []byte("sealed:" + next), Now: now, Grace: 10 * time.Second, IdleTTL: time.Hour,
		AccessExpiresAt: now.Add(15 * time.Minute)}
}

// checkEnded fails unless rotating the live token Q1, and retrying the
// retired Q0 within the grace window, are ErrSessionEnded and write
// nothing.
func checkEnded(t *testing.T, s gatehouse.Store) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []*gatehouse.Rotation{
		stateRotation("Q1", "Q2", t0.Add(2*time.Minute)),
		stateRotation("Q0", "Qx", t0.Add(time.Minute+time.Second)),
	} {
		res, err := s.RotateRefreshToken(ctx, r)
		if !errors.Is(err, gatehouse.ErrSessionEnded) {
			t.Errorf("rotating %s: %+v, %v; want ErrSessionEnded", r.OldHash, res, err)
		}
		if _, err := s.SessionByRefreshHash(ctx, r.Next.Hash); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Errorf("successor %s was stored: %v", r.Next.Hash, err)
		}
	}
}

func TestSessionWhoseUserRowIsGone(t *testing.T) {
	ctx := context.Background()
	s := sessionWithRotation(t)
	if err := s.Exec(ctx, `DELETE FROM users WHERE id = 'u1'`); err != nil {
		t.Fatal(err)
	}
	st, err := s.TokenState(ctx, "s1", "j1", "")
	if err != nil {
		t.Fatalf("TokenState: %v", err)
	}
	if st.Session == nil || st.Session.ID != "s1" || st.User != nil || st.JTIRevoked {
		t.Fatalf("TokenState = %+v, want session s1 with a nil user", st)
	}
	if gatehouse.SessionValid(st.Session, st.User, t0.Add(2*time.Minute)) {
		t.Error("a session without its user is valid")
	}
	checkEnded(t, s)
}

func TestSessionInAnotherEpochThanItsUser(t *testing.T) {
	ctx := context.Background()
	s := sessionWithRotation(t)
	// The user's epoch moved without the session being revoked.
	if err := s.Exec(ctx, `UPDATE users SET epoch = ? WHERE id = 'u1'`, t0.UnixMicro()); err != nil {
		t.Fatal(err)
	}
	st, err := s.TokenState(ctx, "s1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if st.User == nil || !st.User.Epoch.Equal(t0) || !st.Session.RevokedAt.IsZero() {
		t.Fatalf("TokenState = %+v, want an unrevoked session of a user in epoch %v", st, t0)
	}
	if gatehouse.SessionValid(st.Session, st.User, t0.Add(2*time.Minute)) {
		t.Error("a session of another epoch is valid")
	}
	checkEnded(t, s)
}
