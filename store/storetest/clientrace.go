package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

// clientRaceTests are the races of a client's own tokens: a token being
// recorded while the secret is rotated, and ImportUsers against
// UpdateUser. They run in the concurrency suite.
var clientRaceTests = []test{
	{"a client token recorded while the secret rotates is covered by the revocation, or refused", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		must(t, "CreateClient", s.CreateClient(ctx, newClient("svc", "service")))
		epoch := time.Time{}
		for round := range rounds {
			next := at(time.Duration(round+1) * time.Second).Truncate(time.Second)
			exps := make([]time.Time, racers)
			errs := make([]error, racers)
			var rotateErr error
			race(racers, func(i int) {
				if i == 0 {
					rotateErr = s.RotateClientSecret(ctx, "svc", fmt.Sprintf("$gh-sha256$%d", round), next)
					return
				}
				exps[i] = next.Add(time.Duration(round*racers+i) * time.Second)
				errs[i] = s.RecordClientToken(ctx, "svc", epoch, next.Add(-time.Second), exps[i])
			})
			must(t, fmt.Sprintf("round %d: RotateClientSecret", round), rotateErr)
			var entry *gatehouse.Revocation
			for _, e := range feed(t, s, at(0)) {
				if e.Kind == gatehouse.RevokeUser && e.Value == "svc" {
					entry = &e
				}
			}
			if entry == nil || !entry.Time.Equal(next) {
				t.Fatalf("round %d: client entry %+v, want one at %v", round, entry, next)
			}
			for i := 1; i < racers; i++ {
				switch {
				case errors.Is(errs[i], gatehouse.ErrStale):
				case errs[i] != nil:
					t.Fatalf("round %d: RecordClientToken: %v", round, errs[i])
				case entry.ForgetAt.Before(gatehouse.ForgetAt(next, exps[i])):
					t.Fatalf("round %d: a token expiring at %v was recorded, and the revocation is forgettable at %v",
						round, exps[i], entry.ForgetAt)
				}
			}
			epoch = next
		}
	}},
	{"ImportUsers racing UpdateUser of one user: one wins, the other is ErrStale", func(t *testing.T, s gatehouse.Store) {
		ctx := context.Background()
		for round := range rounds {
			u := newUser(fmt.Sprintf("u%d", round), fmt.Sprintf("user%d", round))
			must(t, "CreateUser", s.CreateUser(ctx, u))
			a, b := *u, *u
			a.Scopes, b.Scopes = []string{"from-import"}, []string{"from-update"}
			fresh := newUser(fmt.Sprintf("n%d", round), fmt.Sprintf("new%d", round))
			var importErr, updateErr error
			race(2, func(i int) {
				if i == 0 {
					_, importErr = s.ImportUsers(ctx, []*gatehouse.User{fresh}, []*gatehouse.User{&a}, "import")
				} else {
					_, updateErr = s.UpdateUser(ctx, &b, "update")
				}
			})
			if (importErr == nil) == (updateErr == nil) {
				t.Fatalf("round %d: import %v, update %v; want exactly one to win", round, importErr, updateErr)
			}
			got, err := s.UserByID(ctx, u.ID)
			must(t, "UserByID", err)
			_, freshErr := s.UserByID(ctx, fresh.ID)
			if importErr == nil {
				if got.Scopes[0] != "from-import" || freshErr != nil {
					t.Fatalf("round %d: the import won, yet the user is %v and the new user %v", round, got.Scopes, freshErr)
				}
			} else {
				wantErr(t, "the losing import", importErr, gatehouse.ErrStale)
				if got.Scopes[0] != "from-update" || !errors.Is(freshErr, gatehouse.ErrNotFound) {
					t.Fatalf("round %d: the import lost, yet the user is %v and the new user %v", round, got.Scopes, freshErr)
				}
			}
		}
	}},
}
