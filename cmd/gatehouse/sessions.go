package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/session"
)

// endUserSessions ends every session of u, as the server does: their ids go
// to the revocation feed, so their access tokens are refused at once by
// every process sharing the database.
//
// A database without signing keys has never minted a token, so there is
// nothing to end; checking first keeps the CLI from generating the keys
// itself (with an algorithm that may not be the server's --alg).
func endUserSessions(ctx context.Context, st gatehouse.Store, u *gatehouse.User, reason string, accessTTL time.Duration) (int, error) {
	keys, err := st.SigningKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("read signing keys: %w", err)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	kr, err := session.LoadKeyring(ctx, st, session.KeyringConfig{Retain: accessTTL + time.Minute})
	if err != nil {
		return 0, err
	}
	m, err := session.New(session.Config{Store: st, Keyring: kr, Issuer: "gatehouse-cli", AccessTTL: accessTTL})
	if err != nil {
		return 0, err
	}
	n, err := m.EndUserSessions(ctx, u.ID, reason)
	if err != nil {
		return 0, fmt.Errorf("end sessions of %s: %w", u.Username, err)
	}
	return n, nil
}

// audit records an administrative action taken on the command line in the
// audit log the admin API lists. A failure to record is reported but does
// not undo the action, which has already happened.
func (c *cli) audit(ctx context.Context, st gatehouse.Store, kind, userID, detail string) {
	e := &gatehouse.Event{Time: time.Now().UTC(), Kind: kind, UserID: userID, Detail: detail + " (by the command line)"}
	if err := st.RecordEvent(ctx, e); err != nil {
		fmt.Fprintf(c.stderr, "warning: audit event not recorded: %v\n", err)
	}
}
