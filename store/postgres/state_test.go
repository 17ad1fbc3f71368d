package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// States no method writes (DeleteUser removes the sessions with the user;
// an epoch move revokes them), made by hand, to check that the outer joins
// read a missing user as nil and that the user alone decides.

// sessionWithRotation stores user u1's session s1, rotated once at t0+1m,
// and returns the store, the retired token and the live one.
func sessionWithRotation(t *testing.T) (s *Store, retired, live []byte) {
	t.Helper()
	s = newTestStore(t)
	retired = newSession(t, s, "s1")
	r := rotation(retired, t0.Add(time.Minute))
	if _, err := s.RotateRefreshToken(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return s, retired, r.Next.Hash
}

// checkEnded fails unless rotating the live token, and retrying the
// retired one within the grace window, are ErrSessionEnded and write
// nothing.
func checkEnded(t *testing.T, s *Store, retired, live []byte) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []*gatehouse.Rotation{rotation(live, t0.Add(2*time.Minute)), rotation(retired, t0.Add(time.Minute+time.Second))} {
		res, err := s.RotateRefreshToken(ctx, r)
		if !errors.Is(err, gatehouse.ErrSessionEnded) {
			t.Errorf("rotating %x: %+v, %v; want ErrSessionEnded", r.OldHash, res, err)
		}
		if _, err := s.SessionByRefreshHash(ctx, r.Next.Hash); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Errorf("successor %x was stored: %v", r.Next.Hash, err)
		}
	}
}

func TestSessionWhoseUserRowIsGone(t *testing.T) {
	ctx := context.Background()
	s, retired, live := sessionWithRotation(t)
	if _, err := s.pool.Exec(ctx, `DELETE FROM users WHERE id = 'u1'`); err != nil {
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
	checkEnded(t, s, retired, live)
}

func TestSessionInAnotherEpochThanItsUser(t *testing.T) {
	ctx := context.Background()
	s, retired, live := sessionWithRotation(t)
	// The user's epoch moved without the session being revoked.
	if _, err := s.pool.Exec(ctx, `UPDATE users SET epoch = $1 WHERE id = 'u1'`, t0); err != nil {
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
	checkEnded(t, s, retired, live)
}
