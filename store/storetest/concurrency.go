package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// Sizes of the races.
const (
	racers = 50 // goroutines per race
	rounds = 20 // races of the rotation test
)

// checkRotationCovered fails unless a rotation r of session sid, which
// raced the session's end and returned rotateErr, left the store
// consistent: a rotation that failed wrote nothing, and one that succeeded
// minted an access token that the session's feed entry still covers.
func checkRotationCovered(t *testing.T, s gatehouse.Store, round int, sid string, r *gatehouse.Rotation, rotateErr error) {
	t.Helper()
	ctx := context.Background()
	sess, err := s.Session(ctx, sid)
	must(t, "Session", err)
	if sess.RevokedAt.IsZero() {
		t.Fatalf("round %d: session %s not revoked", round, sid)
	}
	_, err = s.SessionByRefreshHash(ctx, r.Next.Hash)
	if rotateErr != nil {
		wantErr(t, fmt.Sprintf("round %d: the failed rotation's successor", round), err, gatehouse.ErrNotFound)
		return
	}
	must(t, fmt.Sprintf("round %d: the rotation's successor", round), err)
	checkTime(t, "AccessExpiresAt", sess.AccessExpiresAt, r.AccessExpiresAt)
	var entry *gatehouse.Revocation
	for _, e := range feed(t, s, at(0)) {
		if e.Kind == gatehouse.RevokeSID && e.Value == sid {
			entry = &e
		}
	}
	if entry == nil {
		t.Fatalf("round %d: no sid entry for %s", round, sid)
	}
	if want := gatehouse.ForgetAt(sess.RevokedAt, r.AccessExpiresAt); entry.ForgetAt.Before(want) {
		t.Fatalf("round %d: sid %s forgettable at %v, before the rotated access token's %v", round, sid, entry.ForgetAt, want)
	}
}

// race runs fn(i) for i in [0, n) in n goroutines released at once, and
// waits for them.
func race(n int, fn func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			start.Wait()
			fn(i)
		}()
	}
	start.Done()
	done.Wait()
}

var concurrencyTests = []test{
	{"concurrent rotations of one token yield one successor, every round", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for round := range rounds {
			sid := fmt.Sprintf("s%d", round)
			now := at(time.Duration(round) * time.Minute)
			createSession(t, s, sid, "u1", now)
			type outcome struct {
				res *gatehouse.RotationResult
				err error
			}
			out := make([]outcome, racers)
			race(racers, func(i int) {
				res, err := s.RotateRefreshToken(ctx, rotation(sid+"/0", fmt.Sprintf("%s/1-%d", sid, i), now))
				out[i] = outcome{res, err}
			})
			winner := -1
			for i, o := range out {
				if o.err != nil {
					t.Fatalf("round %d: racer %d: %v", round, i, o.err)
				}
				if o.res.Session == nil || o.res.Session.ID != sid {
					t.Fatalf("round %d: racer %d: session %+v, want %s", round, i, o.res.Session, sid)
				}
				if !o.res.Retry {
					if winner >= 0 {
						t.Fatalf("round %d: racers %d and %d both rotated", round, winner, i)
					}
					winner = i
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: nobody rotated", round)
			}
			successor := fmt.Sprintf("%s/1-%d", sid, winner)
			for i, o := range out {
				if i != winner && !bytes.Equal(o.res.SealedSuccessor, []byte("sealed:"+successor)) {
					t.Fatalf("round %d: racer %d got successor %q, want the winner's %q", round, i, o.res.SealedSuccessor, successor)
				}
			}
			// One lineage: of the 50 proposed successors only the winner's
			// was stored, and it is live.
			for i := range racers {
				_, err := s.SessionByRefreshHash(ctx, hash(fmt.Sprintf("%s/1-%d", sid, i)))
				if i == winner && err != nil {
					t.Fatalf("round %d: the winner's successor: %v", round, err)
				}
				if i != winner && !errors.Is(err, gatehouse.ErrNotFound) {
					t.Fatalf("round %d: racer %d's successor was stored (err %v): two lineages", round, i, err)
				}
			}
			checkLive(t, s, successor, now.Add(time.Second))
		}
	}},
	{"after the race a retry within the grace window returns the successor and a replay after it is reuse", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		sealed := make([][]byte, racers)
		errs := make([]error, racers)
		race(racers, func(i int) {
			var res *gatehouse.RotationResult
			res, errs[i] = s.RotateRefreshToken(ctx, rotation("s1/0", fmt.Sprintf("s1/1-%d", i), at(time.Minute)))
			switch {
			case errs[i] != nil:
			case res.Retry:
				sealed[i] = res.SealedSuccessor
			default: // the winner: its own successor
				sealed[i] = []byte(fmt.Sprintf("sealed:s1/1-%d", i))
			}
		})
		for i := range sealed {
			must(t, fmt.Sprintf("racer %d", i), errs[i])
			if !bytes.Equal(sealed[i], sealed[0]) {
				t.Fatalf("racers got different successors: %q and %q", sealed[0], sealed[i])
			}
		}
		res, err := s.RotateRefreshToken(ctx, rotation("s1/0", "s1/late", at(time.Minute+grace-time.Second)))
		must(t, "retry within the grace window", err)
		if !res.Retry || !bytes.Equal(res.SealedSuccessor, sealed[0]) {
			t.Errorf("retry = %+v, want the successor %q", res, sealed[0])
		}
		// A replay after the window, by many at once: all see reuse.
		race(racers, func(i int) {
			_, errs[i] = s.RotateRefreshToken(ctx, rotation("s1/0", fmt.Sprintf("s1/replay-%d", i), at(time.Minute+grace)))
		})
		for i, err := range errs {
			wantErr(t, fmt.Sprintf("replay %d", i), err, gatehouse.ErrTokenReused)
		}
	}},
	{"racing rotations by the bound client and by another: one rotation, the others refused or retries", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "s1", "u1", at(0))
		results := make([]*gatehouse.RotationResult, racers)
		errs := make([]error, racers)
		race(racers, func(i int) {
			r := rotation("s1/0", fmt.Sprintf("s1/1-%d", i), at(time.Minute))
			if i%2 == 1 {
				r.ClientID = "another-app"
			}
			results[i], errs[i] = s.RotateRefreshToken(ctx, r)
		})
		winners := 0
		for i := range racers {
			if i%2 == 1 {
				wantErr(t, fmt.Sprintf("racer %d of another client", i), errs[i], gatehouse.ErrWrongClient)
				continue
			}
			must(t, fmt.Sprintf("racer %d", i), errs[i])
			if !results[i].Retry {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("%d rotations, want exactly 1", winners)
		}
	}},
	{"concurrent rotations of different sessions all rotate", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for i := range racers {
			createSession(t, s, fmt.Sprintf("s%d", i), "u1", at(0))
		}
		errs := make([]error, racers)
		race(racers, func(i int) {
			var res *gatehouse.RotationResult
			res, errs[i] = s.RotateRefreshToken(ctx, rotation(fmt.Sprintf("s%d/0", i), fmt.Sprintf("s%d/1", i), at(time.Minute)))
			if errs[i] == nil && res.Retry {
				errs[i] = errors.New("a retry, want a rotation")
			}
		})
		for i, err := range errs {
			must(t, fmt.Sprintf("rotation of s%d", i), err)
		}
	}},
	{"concurrent rotation and revocation leave no usable successor", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for round := range rounds {
			sid := fmt.Sprintf("s%d", round)
			createSession(t, s, sid, "u1", at(0))
			r := rotation(sid+"/0", sid+"/1", at(time.Minute))
			var rotateErr, revokeErr error
			race(2, func(i int) {
				if i == 0 {
					_, rotateErr = s.RotateRefreshToken(ctx, r)
				} else {
					revokeErr = s.RevokeSession(ctx, sid, "logout", at(time.Minute))
				}
			})
			must(t, "RevokeSession", revokeErr)
			if rotateErr != nil && !errors.Is(rotateErr, gatehouse.ErrSessionEnded) {
				t.Fatalf("round %d: rotation racing revocation: %v, want success or ErrSessionEnded", round, rotateErr)
			}
			checkRotationCovered(t, s, round, sid, r, rotateErr)
			for _, tok := range []string{sid + "/0", sid + "/1"} {
				_, err := s.RotateRefreshToken(ctx, rotation(tok, tok+"'", at(time.Minute+time.Second)))
				if !errors.Is(err, gatehouse.ErrSessionEnded) && !errors.Is(err, gatehouse.ErrNotFound) {
					t.Fatalf("round %d: rotating %s after revocation: %v, want ErrSessionEnded or ErrNotFound", round, tok, err)
				}
			}
		}
	}},
	{"concurrent UpdateUser with one version: exactly one wins, the others ErrStale", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		createSession(t, s, "a", "u1", at(0))
		createSession(t, s, "b", "u1", at(0))
		read, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		// Every racer decided from Version 1; each moves the epoch to its own.
		users := make([]*gatehouse.User, racers)
		ended := make([]int, racers)
		errs := make([]error, racers)
		for i := range users {
			u := *read
			u.PasswordHash = fmt.Sprintf("$argon2id$racer%d", i)
			u.UpdatedAt = at(time.Minute)
			u.Epoch = gatehouse.NextEpoch(at(time.Minute+time.Duration(i)*time.Microsecond), read.Epoch)
			users[i] = &u
		}
		race(racers, func(i int) { ended[i], errs[i] = s.UpdateUser(ctx, users[i], "password changed") })
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("racers %d and %d both wrote", winner, i)
				}
				winner = i
			case errors.Is(err, gatehouse.ErrStale):
				if ended[i] != 0 {
					t.Errorf("racer %d lost yet ended %d sessions", i, ended[i])
				}
			default:
				t.Fatalf("racer %d: %v, want nil or ErrStale", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no racer wrote")
		}
		if ended[winner] != 2 {
			t.Errorf("the winner ended %d sessions, want 2", ended[winner])
		}
		got, err := s.UserByID(ctx, "u1")
		must(t, "UserByID", err)
		checkUser(t, got, users[winner])
		var userEntries []gatehouse.Revocation
		for _, r := range feed(t, s, at(0)) {
			if r.Kind == gatehouse.RevokeUser {
				userEntries = append(userEntries, r)
			}
		}
		if len(userEntries) != 1 {
			t.Fatalf("user entries = %+v, want the winner's one", userEntries)
		}
		checkTime(t, "user entry Time", userEntries[0].Time, users[winner].Epoch)
	}},
	{"CreateSession racing an epoch move never leaves an active session created under the old epoch", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		ensureUser(t, s, "u1")
		const logins = 8
		for round := range rounds {
			now := at(time.Duration(round) * time.Minute)
			read, err := s.UserByID(ctx, "u1")
			must(t, "UserByID", err)
			move := *read
			move.Epoch = gatehouse.NextEpoch(now, read.Epoch)
			move.UpdatedAt = now
			var (
				ended     int
				moveErr   error
				createErr = make([]error, logins)
			)
			race(logins+1, func(i int) {
				if i == logins {
					ended, moveErr = s.UpdateUser(ctx, &move, "password changed")
					return
				}
				// A login whose password was checked under the old epoch.
				sess, first := newSession(fmt.Sprintf("r%d-%d", round, i), "u1", now)
				sess.Epoch = read.Epoch
				createErr[i] = s.CreateSession(ctx, sess, first)
			})
			must(t, fmt.Sprintf("round %d: UpdateUser", round), moveErr)
			created := 0
			for i, err := range createErr {
				id := fmt.Sprintf("r%d-%d", round, i)
				sess, getErr := s.Session(ctx, id)
				switch {
				case err == nil:
					created++
					must(t, "Session("+id+")", getErr)
					if sess.RevokedAt.IsZero() {
						t.Fatalf("round %d: session %s, created under the old epoch, outlived the move", round, id)
					}
				case errors.Is(err, gatehouse.ErrStale):
					wantErr(t, fmt.Sprintf("round %d: Session of the refused login %s", round, id), getErr, gatehouse.ErrNotFound)
				default:
					t.Fatalf("round %d: login %d: %v, want nil or ErrStale", round, i, err)
				}
			}
			if ended != created {
				t.Fatalf("round %d: the move ended %d sessions, %d were created before it", round, ended, created)
			}
			ss, err := s.ListSessions(ctx, "u1", now)
			must(t, "ListSessions", err)
			if len(ss) != 0 {
				t.Fatalf("round %d: active sessions after the move: %q", round, sessionIDs(ss))
			}
		}
	}},
	{"rotation racing an epoch move never leaves a live rotation in a valid session under the old epoch", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for round := range rounds {
			sid := fmt.Sprintf("s%d", round)
			now := at(time.Duration(round) * time.Minute)
			createSession(t, s, sid, "u1", now)
			read, err := s.UserByID(ctx, "u1")
			must(t, "UserByID", err)
			move := *read
			move.Epoch = gatehouse.NextEpoch(now, read.Epoch)
			move.UpdatedAt = now.Add(time.Second)
			r := rotation(sid+"/0", sid+"/1", now.Add(time.Second))
			var (
				rotateErr, moveErr error
				ended              int
			)
			race(2, func(i int) {
				if i == 0 {
					_, rotateErr = s.RotateRefreshToken(ctx, r)
				} else {
					ended, moveErr = s.UpdateUser(ctx, &move, "password changed")
				}
			})
			must(t, fmt.Sprintf("round %d: UpdateUser", round), moveErr)
			if rotateErr != nil && !errors.Is(rotateErr, gatehouse.ErrSessionEnded) {
				t.Fatalf("round %d: rotation racing an epoch move: %v, want success or ErrSessionEnded", round, rotateErr)
			}
			// Whichever came first, the session was active at the move.
			if ended != 1 {
				t.Fatalf("round %d: the move ended %d sessions, want 1", round, ended)
			}
			st, err := s.TokenState(ctx, sid, "", "")
			must(t, "TokenState", err)
			if gatehouse.SessionValid(st.Session, st.User, now.Add(time.Second)) {
				t.Fatalf("round %d: session %s still valid after the epoch move", round, sid)
			}
			checkRotationCovered(t, s, round, sid, r, rotateErr)
		}
	}},
	{"concurrent CreateUser with one username: exactly one wins", func(t *testing.T, s gatehouse.Store) {
		errs := make([]error, racers)
		race(racers, func(i int) {
			errs[i] = s.CreateUser(context.Background(), newUser(fmt.Sprintf("u%d", i), "alice"))
		})
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, gatehouse.ErrConflict):
				t.Errorf("racer %d: %v, want nil or ErrConflict", i, err)
			}
		}
		us, err := s.ListUsers(context.Background(), "", 0)
		must(t, "ListUsers", err)
		if won != 1 || len(us) != 1 {
			t.Errorf("%d racers won, %d users stored; want 1 and 1", won, len(us))
		}
	}},
	{"concurrent InitSigningKeys store one pair", func(t *testing.T, s gatehouse.Store) {
		adoptKEK(t, s)
		stored := make([]bool, racers)
		errs := make([]error, racers)
		race(racers, func(i int) {
			stored[i], errs[i] = s.InitSigningKeys(context.Background(),
				newKey(fmt.Sprintf("a%d", i), gatehouse.KeyActive, at(0)), newKey(fmt.Sprintf("n%d", i), gatehouse.KeyNext, at(time.Second)))
		})
		winner := -1
		for i := range racers {
			must(t, fmt.Sprintf("InitSigningKeys %d", i), errs[i])
			if stored[i] {
				if winner >= 0 {
					t.Fatalf("racers %d and %d both stored their pair", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no racer stored a pair")
		}
		want := []string{fmt.Sprintf("n%d:next", winner), fmt.Sprintf("a%d:active", winner)}
		if got := keyStates(t, s); !equal(got, want) {
			t.Errorf("keys = %q, want %q", got, want)
		}
	}},
	{"concurrent RotateSigningKeys from one state: exactly one rotates", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		for round := range 5 {
			_, ks, err := s.SigningKeys(ctx)
			must(t, "SigningKeys", err)
			var active, next string
			for _, k := range ks {
				switch k.State {
				case gatehouse.KeyActive:
					active = k.ID
				case gatehouse.KeyNext:
					next = k.ID
				}
			}
			const n = 10
			errs := make([]error, n)
			race(n, func(i int) {
				errs[i] = s.RotateSigningKeys(ctx, keyRotation(active, next, fmt.Sprintf("r%d-%d", round, i), at(time.Hour)))
			})
			won := 0
			for i, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, gatehouse.ErrStale):
					t.Fatalf("round %d, racer %d: %v, want nil or ErrStale", round, i, err)
				}
			}
			if won != 1 {
				t.Fatalf("round %d: %d racers rotated, want 1", round, won)
			}
		}
		_, ks, err := s.SigningKeys(ctx)
		must(t, "SigningKeys", err)
		count := map[gatehouse.KeyState]int{}
		for _, k := range ks {
			count[k.State]++
		}
		if count[gatehouse.KeyActive] != 1 || count[gatehouse.KeyNext] != 1 || count[gatehouse.KeyRetired] != 5 {
			t.Errorf("after 5 rounds: %v, want 1 active, 1 next, 5 retired", count)
		}
	}},
	{"RecordSigned racing DeleteRetiredKey: a key whose token is recorded is never deleted", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		for round := range rounds {
			must(t, "RotateSigningKeys", s.RotateSigningKeys(ctx, keyRotation(fmt.Sprintf("k%d", round+1),
				fmt.Sprintf("k%d", round+2), fmt.Sprintf("k%d", round+3), at(time.Hour))))
			retired := fmt.Sprintf("k%d", round+1)
			cutoff, until := at(time.Hour+time.Minute), at(time.Hour+15*time.Minute)
			var recErr, delErr error
			var deleted bool
			race(2, func(i int) {
				if i == 0 {
					recErr = s.RecordSigned(ctx, retired, until)
				} else {
					deleted, delErr = s.DeleteRetiredKey(ctx, retired, cutoff)
				}
			})
			must(t, "DeleteRetiredKey", delErr)
			_, m := storedKeys(t, s)
			switch {
			case recErr == nil && (deleted || m[retired] == nil):
				t.Fatalf("round %d: a token was recorded for %s, yet the key was deleted", round, retired)
			case recErr == nil:
				checkTime(t, "SignedUntil", m[retired].SignedUntil, until)
			case !errors.Is(recErr, gatehouse.ErrNotFound) || !deleted:
				t.Fatalf("round %d: RecordSigned = %v, deleted %v; want ErrNotFound after the deletion", round, recErr, deleted)
			}
		}
	}},
	{"RecordSigned racing RevokeSigningKey: the kid entry outlives every token recorded", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		initKeys(t, s)
		for round := range rounds {
			_, ks, err := s.SigningKeys(ctx)
			must(t, "SigningKeys", err)
			var active string
			for _, k := range ks {
				if k.State == gatehouse.KeyActive {
					active = k.ID
				}
			}
			revokedAt, until := at(time.Hour), at(time.Hour+time.Duration(round+1)*time.Minute)
			var recErr, revErr error
			race(2, func(i int) {
				if i == 0 {
					recErr = s.RecordSigned(ctx, active, until)
				} else {
					_, revErr = s.RevokeSigningKey(ctx, &gatehouse.KeyRevocation{ID: active,
						Replacement: newKey(fmt.Sprintf("r%d", round), gatehouse.KeyNext, at(time.Hour)), At: revokedAt})
				}
			})
			must(t, "RevokeSigningKey", revErr)
			var entry *gatehouse.Revocation
			for _, e := range kidEntries(t, s) {
				if e.Value == active {
					entry = &e
				}
			}
			switch {
			case entry == nil:
				t.Fatalf("round %d: no kid entry for %s", round, active)
			case recErr == nil && entry.ForgetAt.Before(until.Add(gatehouse.RevocationMargin)):
				t.Fatalf("round %d: a token of %s recorded until %v, yet its entry is forgettable at %v", round, active, until, entry.ForgetAt)
			case recErr != nil && !errors.Is(recErr, gatehouse.ErrNotFound):
				t.Fatalf("round %d: RecordSigned = %v, want nil or ErrNotFound", round, recErr)
			}
		}
	}},
	{"concurrent Purge calls do not fail and purge everything once", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		const sessions, entries = 40, 40
		for i := range sessions {
			createSession(t, s, fmt.Sprintf("s%d", i), "u1", at(0))
		}
		for i := range entries {
			must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx, fmt.Sprintf("j%d", i), at(0), at(time.Minute)))
		}
		const n = 10
		stats := make([]gatehouse.PurgeStats, n)
		errs := make([]error, n)
		race(n, func(i int) { stats[i], errs[i] = s.Purge(ctx, at(48*time.Hour), at(48*time.Hour)) })
		var total gatehouse.PurgeStats
		for i := range n {
			must(t, fmt.Sprintf("Purge %d", i), errs[i])
			total.Sessions += stats[i].Sessions
			total.Revocations += stats[i].Revocations
		}
		if total != (gatehouse.PurgeStats{Sessions: sessions, Revocations: entries}) {
			t.Errorf("purges removed %+v in all, want %d sessions and %d entries", total, sessions, entries)
		}
		ss, err := s.ListSessions(ctx, "u1", at(0))
		must(t, "ListSessions", err)
		if len(ss) != 0 {
			t.Errorf("%d sessions left", len(ss))
		}
	}},
	{"concurrent revocations get distinct cursors, in feed order", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		errs := make([]error, racers)
		race(racers, func(i int) {
			errs[i] = s.RevokeAccessToken(ctx, fmt.Sprintf("j%d", i), at(0), at(time.Hour))
		})
		for i, err := range errs {
			must(t, fmt.Sprintf("RevokeAccessToken %d", i), err)
		}
		rs := feed(t, s, at(0))
		if len(rs) != racers {
			t.Fatalf("feed has %d entries, want %d", len(rs), racers)
		}
		for i := 1; i < len(rs); i++ {
			if rs[i].Cursor <= rs[i-1].Cursor {
				t.Fatalf("cursors not increasing at %d: %d after %d", i, rs[i].Cursor, rs[i-1].Cursor)
			}
		}
	}},
}
