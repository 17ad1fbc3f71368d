package storetest

import (
	"testing"

	"github.com/gatehouse/gatehouse"
)

// Run runs the conformance suite: every subtest gets a fresh, migrated,
// empty store from newStore, which registers its own cleanup with
// t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) gatehouse.Store) {
	runGroup(t, "Users", userTests, newStore)
	runGroup(t, "UserPages", userPageTests, newStore)
	runGroup(t, "Clients", clientTests, newStore)
	runGroup(t, "Sessions", sessionTests, newStore)
	runGroup(t, "Rotation", rotationTests, newStore)
	runGroup(t, "Revocation", revocationTests, newStore)
	runGroup(t, "Feed", feedTests, newStore)
	runGroup(t, "Keys", keyTests, newStore)
	runGroup(t, "Events", eventTests, newStore)
	runGroup(t, "Purge", purgeTests, newStore)
}

// RunConcurrency runs the races the contracts settle, each on a fresh
// store: concurrent rotations of one refresh token (one winner, every
// other caller gets its successor, one lineage, every round), rotation
// against revocation and against an epoch move, logins against an epoch
// move, concurrent UpdateUser from one Version, concurrent CreateUser with
// one username, InitSigningKeys, RotateSigningKeys (one winner per state),
// RecordSigned against the deletion and the revocation of its key, Purge
// and feed writes.
func RunConcurrency(t *testing.T, newStore func(t *testing.T) gatehouse.Store) {
	runGroup(t, "Concurrency", concurrencyTests, newStore)
	runGroup(t, "ClientConcurrency", clientRaceTests, newStore)
}
