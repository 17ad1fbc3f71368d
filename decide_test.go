package gatehouse_test

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)

// validState is a token rotated at rotated whose session and user are
// valid at t0.
func validState(rotated time.Time, successorLive bool) gatehouse.RefreshState {
	epoch := t0.Add(-time.Hour)
	return gatehouse.RefreshState{
		Session:   &gatehouse.Session{ID: "s", UserID: "u", ClientID: "app", IdleExpiresAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour), Epoch: epoch},
		User:      &gatehouse.User{ID: "u", Epoch: epoch},
		RotatedAt: rotated, SuccessorLive: successorLive,
	}
}

func TestDecideRotation(t *testing.T) {
	const grace = 10 * time.Second
	cases := []struct {
		name  string
		state func() gatehouse.RefreshState
		want  gatehouse.RotationOutcome
	}{
		{"a live token of a valid session that did not rotate is live: try again", func() gatehouse.RefreshState {
			return validState(time.Time{}, false)
		}, gatehouse.OutcomeLive},
		{"the just-rotated token within the grace window is a retry", func() gatehouse.RefreshState {
			return validState(t0.Add(-9*time.Second), true)
		}, gatehouse.OutcomeRetry},
		{"a rotation a replica with a clock ahead made is a retry too", func() gatehouse.RefreshState {
			return validState(t0.Add(time.Second), true)
		}, gatehouse.OutcomeRetry},
		{"the just-rotated token at the end of the grace window is reuse", func() gatehouse.RefreshState {
			return validState(t0.Add(-grace), true)
		}, gatehouse.OutcomeReused},
		{"an older retired token within the grace window is reuse", func() gatehouse.RefreshState {
			return validState(t0.Add(-time.Second), false)
		}, gatehouse.OutcomeReused},
		{"a revoked session has ended, reuse or not", func() gatehouse.RefreshState {
			st := validState(t0.Add(-time.Minute), false)
			st.Session.RevokedAt = t0.Add(-time.Second)
			return st
		}, gatehouse.OutcomeEnded},
		{"an idle-expired session has ended", func() gatehouse.RefreshState {
			st := validState(t0.Add(-time.Second), true)
			st.Session.IdleExpiresAt = t0
			return st
		}, gatehouse.OutcomeEnded},
		{"a session past its absolute lifetime has ended", func() gatehouse.RefreshState {
			st := validState(time.Time{}, false)
			st.Session.ExpiresAt = t0.Add(-time.Nanosecond)
			return st
		}, gatehouse.OutcomeEnded},
		{"the session of a deleted user has ended", func() gatehouse.RefreshState {
			st := validState(t0.Add(-time.Second), true)
			st.User = nil
			return st
		}, gatehouse.OutcomeEnded},
		{"the session of a disabled user has ended", func() gatehouse.RefreshState {
			st := validState(time.Time{}, false)
			st.User.Disabled = true
			return st
		}, gatehouse.OutcomeEnded},
		{"a session created under an earlier epoch has ended", func() gatehouse.RefreshState {
			st := validState(t0.Add(-time.Second), true)
			st.User.Epoch = gatehouse.NextEpoch(t0, st.User.Epoch)
			return st
		}, gatehouse.OutcomeEnded},
		{"a session of another user is not valid", func() gatehouse.RefreshState {
			st := validState(time.Time{}, false)
			st.User.ID = "someone else"
			return st
		}, gatehouse.OutcomeEnded},
		{"a live token of another client's session is refused, not rotated", func() gatehouse.RefreshState {
			st := validState(time.Time{}, false)
			st.Session.ClientID = "other"
			return st
		}, gatehouse.OutcomeWrongClient},
		{"a retired token of another client's session is refused, not reuse", func() gatehouse.RefreshState {
			st := validState(t0.Add(-time.Hour), false)
			st.Session.ClientID = "other"
			return st
		}, gatehouse.OutcomeWrongClient},
		{"an ended session of another client is refused as another client's", func() gatehouse.RefreshState {
			st := validState(time.Time{}, false)
			st.Session.ClientID = "other"
			st.Session.RevokedAt = t0.Add(-time.Second)
			return st
		}, gatehouse.OutcomeWrongClient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := gatehouse.DecideRotation(c.state(), "app", t0, grace); got != c.want {
				t.Errorf("DecideRotation = %v, want %v", got, c.want)
			}
		})
	}
}

func TestNextEpochStrictlyIncreasesInMicroseconds(t *testing.T) {
	cases := []struct {
		name         string
		now, current time.Time
		want         time.Time
	}{
		{"after an older epoch it is now", t0, t0.Add(-time.Hour), t0},
		{"now's nanoseconds are dropped", t0.Add(999), time.Time{}, t0},
		{"an epoch at now moves a microsecond on", t0, t0, t0.Add(time.Microsecond)},
		{"an epoch ahead of a late clock moves a microsecond on", t0, t0.Add(time.Second), t0.Add(time.Second + time.Microsecond)},
	}
	for _, c := range cases {
		got := gatehouse.NextEpoch(c.now, c.current)
		if !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%s: NextEpoch = %v, want %v UTC", c.name, got, c.want)
		}
		if !got.After(c.current) {
			t.Errorf("%s: %v is not after %v", c.name, got, c.current)
		}
	}
}

func TestForgetAtIsTheLatestTokensExpiryWithTheMargin(t *testing.T) {
	if got := gatehouse.ForgetAt(t0, t0.Add(time.Hour)); !got.Equal(t0.Add(time.Hour + gatehouse.RevocationMargin)) {
		t.Errorf("ForgetAt = %v", got)
	}
	if got := gatehouse.ForgetAt(t0, t0.Add(-time.Hour)); !got.Equal(t0) {
		t.Errorf("ForgetAt of long-expired tokens = %v, want the revocation time", got)
	}
}
