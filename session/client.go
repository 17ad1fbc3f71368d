package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse"
)

// maxEpochWait bounds how long ClientCredentials waits for a client's
// epoch, which a rotation puts up to a second ahead (more only when the
// clocks of the processes sharing the store disagree).
const maxEpochWait = 2 * time.Second

// ClientCredentials mints a client's own access token: the
// client_credentials grant (RFC 6749 §4.4), for a confidential client that
// the caller has authenticated. The token is RFC 9068's for a client: sub
// and client_id are the client's id, no sid, no auth_time; its scope is
// the requested one, within the client's scopes (gatehouse.GrantClientScopes:
// all of them when none is requested, never gatehouse:admin); its aud the
// client's audiences and the server's; its lifetime the client's (at most
// the server's). There is no refresh token and no session.
//
// The token's iat and exp are recorded with the client before the token is
// handed out, on condition that the client is still in the epoch its
// secret was checked under: a secret rotated in between (the caller
// checked the old one) gives nothing (ErrInvalidClient), and the
// rotation's new epoch is after every iat recorded before it, so its
// revocation covers those tokens. A token is minted only once the
// clock has reached the client's epoch (a rotation sets it up to a second
// ahead), so that its iat is not before it.
//
// Errors: ErrUnauthorizedClient for a public client, ErrInvalidScope,
// ErrInvalidClient, ErrUnavailable (the epoch is too far ahead of this
// process's clock), or a wrapped store error.
func (m *Manager) ClientCredentials(ctx context.Context, cl *gatehouse.Client, requested []string) (*Grant, error) {
	if cl == nil || !cl.Confidential() {
		return nil, ErrUnauthorizedClient
	}
	scopes, err := gatehouse.GrantClientScopes(requested, cl.Scopes)
	if err != nil {
		return nil, ErrInvalidScope
	}
	now, err := m.reachEpoch(ctx, cl.Epoch)
	if err != nil {
		return nil, err
	}
	iat := now.Truncate(time.Second)
	exp := now.Add(m.accessTTL(cl)).Truncate(time.Second).UTC()
	switch err := m.store.RecordClientToken(ctx, cl.ID, cl.Epoch, iat, exp); {
	case errors.Is(err, gatehouse.ErrStale), errors.Is(err, gatehouse.ErrNotFound):
		return nil, fmt.Errorf("%w: the client changed since its secret was checked", ErrInvalidClient)
	case err != nil:
		return nil, fmt.Errorf("client credentials: %w", err)
	}
	c := &gatehouse.Claims{
		Issuer:    m.cfg.Issuer,
		Subject:   cl.ID,
		Audience:  m.audience(cl),
		ExpiresAt: exp,
		IssuedAt:  iat,
		ID:        gatehouse.NewID(),
		ClientID:  cl.ID,
		Scopes:    scopes,
	}
	tok, err := m.keys.Sign(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("sign access token: %w", err)
	}
	return &Grant{AccessToken: tok, ExpiresIn: exp.Sub(iat), Scopes: scopes, Claims: c}, nil
}

// reachEpoch returns the time once the clock has reached epoch, waiting
// for it if it is at most maxEpochWait ahead. ErrUnavailable when it is
// further ahead, or the clock has not reached it after the wait.
func (m *Manager) reachEpoch(ctx context.Context, epoch time.Time) (time.Time, error) {
	now := m.now().UTC()
	if !now.Before(epoch) {
		return now, nil
	}
	wait := epoch.Sub(now)
	if wait > maxEpochWait {
		return time.Time{}, fmt.Errorf("%w: the client's epoch is %v ahead of this server's clock", ErrUnavailable, wait)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	case <-t.C:
	}
	if now = m.now().UTC(); now.Before(epoch) {
		return time.Time{}, fmt.Errorf("%w: the clock did not reach the client's epoch", ErrUnavailable)
	}
	return now, nil
}
