// Package storetest is the conformance suite of gatehouse.Store: the one set
// of tests that every storage backend passes, so that the server behaves the
// same on each.
//
// A backend's test calls both entry points with a constructor of fresh,
// migrated, empty stores:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, newStore)
//		storetest.RunConcurrency(t, newStore)
//	}
//
// Run checks every method's contract, one subtest per behaviour, each on its
// own store. RunConcurrency checks the races the contracts promise to
// settle: one winner of concurrent rotations of a refresh token (every
// other caller receives the winner's successor), one winner of concurrent
// writes to a user from one Version, no session left alive under an epoch
// that moved (whether a login or a rotation raced the move), no rotation
// that outlives a revocation uncovered by the feed, one user per username,
// one pair of initial signing keys, one active key after concurrent
// rotations, purges that do not fail each other, and distinct feed cursors.
//
// Sessions live only under an existing, enabled user in the session's
// epoch: the fixtures create the user a session names when the store does
// not have it yet.
//
// Every time is fixed (derived from Base); nothing depends on the clock.
package storetest
