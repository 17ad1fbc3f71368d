package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
)

// NewUser is a user to create.
type NewUser struct {
	Username string
	// Password is checked against the policy and hashed. Exactly one of
	// Password and PasswordHash is set.
	Password string
	// PasswordHash is a hash brought from another system (bcrypt, passlib
	// pbkdf2-sha256, argon2id or argon2i: password.CheckHash), stored as
	// it is and replaced by argon2id at the first successful login.
	PasswordHash string
	Scopes       []string
	Disabled     bool
	// Claims are the user's custom claims (gatehouse.CheckCustomClaims).
	Claims map[string]json.RawMessage
}

// Create makes a user. Its name is stored in canonical form; its epoch
// starts at its creation. Errors: ErrInvalidUsername (wrapped),
// ErrInvalidScope, gatehouse.ErrInvalidClaims (a *gatehouse.ClaimError),
// ErrInvalidPasswordHash (wrapped), ErrUsernameTaken,
// password.ErrTooShort, ErrTooLong, ErrBusy.
func (s *Service) Create(ctx context.Context, n NewUser, by Actor) (*gatehouse.User, error) {
	name, err := CanonicalUsername(n.Username)
	if err != nil {
		return nil, err
	}
	scopes, err := checkScopes(n.Scopes)
	if err != nil {
		return nil, err
	}
	claims, err := gatehouse.CheckCustomClaims(n.Claims)
	if err != nil {
		return nil, err
	}
	hash := n.PasswordHash
	switch {
	case hash != "" && n.Password != "":
		return nil, fmt.Errorf("%w: a password and a password hash", ErrInvalidPasswordHash)
	case hash != "":
		if err := password.CheckHash(hash); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidPasswordHash, err)
		}
	default:
		if err := s.passwords.CheckPolicy(n.Password); err != nil {
			return nil, err
		}
		if hash, err = s.passwords.Hash(ctx, n.Password); err != nil {
			return nil, err
		}
	}
	now := s.clock()
	u := &gatehouse.User{
		ID: gatehouse.NewID(), Username: name, PasswordHash: hash, Scopes: scopes, Disabled: n.Disabled,
		Claims: claims, CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, Epoch: now,
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, gatehouse.ErrConflict) {
			return nil, ErrUsernameTaken
		}
		return nil, fmt.Errorf("account: create user: %w", err)
	}
	detail := "user created with scope " + strconv.Quote(gatehouse.FormatScope(u.Scopes))
	if n.PasswordHash != "" {
		detail += " and an imported password hash"
	}
	s.record(ctx, by, gatehouse.EventAdmin, u.ID, detail+claimNames(u.Claims))
	return u, nil
}

// claimNames says which custom claims a user has, for the audit log (the
// names, never the values).
func claimNames(c map[string]json.RawMessage) string {
	if len(c) == 0 {
		return ""
	}
	names := slices.Sorted(maps.Keys(c))
	return ", claims " + strconv.Quote(strings.Join(names, " "))
}

// Changes are what Update changes; nil fields stay as they are.
type Changes struct {
	Scopes   *[]string
	Disabled *bool
	Password *string
	// SetClaims adds or replaces custom claims; UnsetClaims removes them.
	// A change of claims does not end sessions: the user's next refresh
	// carries the new claims.
	SetClaims   map[string]json.RawMessage
	UnsetClaims []string
}

// maxAttempts bounds how often a change lost to a concurrent one is
// decided again.
const maxAttempts = 8

// Update applies c to the user: it is decided on the user as read and
// written only if the user is still that version; if another change came
// first, it is decided again on the new state. A new password, disabling
// and taking a scope away move the user's epoch in the same write, which
// ends every session and access token issued before. It returns the user
// as written and how many sessions ended. Errors: ErrNotFound,
// ErrInvalidScope, gatehouse.ErrInvalidClaims, password.ErrTooShort,
// ErrTooLong, ErrBusy, ErrContended.
func (s *Service) Update(ctx context.Context, id string, c Changes, by Actor) (*gatehouse.User, int, error) {
	// Claims are checked against the user as read below; a change that
	// cannot hold whatever the user has is refused before anything else.
	if _, err := gatehouse.ApplyClaimChanges(nil, c.SetClaims, c.UnsetClaims); err != nil {
		return nil, 0, err
	}
	var scopes []string
	if c.Scopes != nil {
		var err error
		if scopes, err = checkScopes(*c.Scopes); err != nil {
			return nil, 0, err
		}
	}
	var hash string
	if c.Password != nil {
		if err := s.passwords.CheckPolicy(*c.Password); err != nil {
			return nil, 0, err
		}
		var err error
		if hash, err = s.passwords.Hash(ctx, *c.Password); err != nil {
			return nil, 0, err
		}
	}
	for range maxAttempts {
		old, err := s.store.UserByID(ctx, id)
		if err != nil {
			return nil, 0, storeError(err)
		}
		u := *old
		now := s.clock()
		var why, causes []string
		if c.Password != nil {
			u.PasswordHash, u.PasswordChangedAt = hash, now
			why, causes = append(why, "password changed"), append(causes, CausePasswordChange)
		}
		if c.Disabled != nil {
			u.Disabled = *c.Disabled
			if u.Disabled && !old.Disabled {
				why, causes = append(why, "user disabled"), append(causes, CauseDisable)
			}
		}
		if c.Scopes != nil {
			u.Scopes = scopes
			if gatehouse.ScopesRemoved(old.Scopes, u.Scopes) {
				why, causes = append(why, "scope removed"), append(causes, CauseScopeRemoval)
			}
		}
		if c.SetClaims != nil || c.UnsetClaims != nil {
			if u.Claims, err = gatehouse.ApplyClaimChanges(old.Claims, c.SetClaims, c.UnsetClaims); err != nil {
				return nil, 0, err
			}
		}
		u.UpdatedAt = now
		if len(why) > 0 {
			u.Epoch = gatehouse.NextEpoch(now, old.Epoch)
		}
		reason := strings.Join(why, ", ")
		n, err := s.store.UpdateUser(ctx, &u, reason)
		if errors.Is(err, gatehouse.ErrStale) {
			continue
		}
		if err != nil {
			return nil, 0, storeError(err)
		}
		for _, cause := range causes {
			s.metrics.revocations.Inc(cause)
		}
		s.recordChanges(ctx, by, old, &u, c, n)
		return &u, n, nil
	}
	return nil, 0, ErrContended
}

// recordChanges audits what Update changed.
func (s *Service) recordChanges(ctx context.Context, by Actor, old, u *gatehouse.User, c Changes, ended int) {
	if c.Password != nil {
		s.record(ctx, by, gatehouse.EventPasswordChanged, u.ID, "password set")
	}
	if u.Disabled != old.Disabled {
		if u.Disabled {
			s.record(ctx, by, gatehouse.EventUserDisabled, u.ID, "user disabled")
		} else {
			s.record(ctx, by, gatehouse.EventAdmin, u.ID, "user enabled")
		}
	}
	if c.Scopes != nil {
		s.record(ctx, by, gatehouse.EventAdmin, u.ID, "scopes set to "+strconv.Quote(gatehouse.FormatScope(u.Scopes)))
	}
	if c.SetClaims != nil || c.UnsetClaims != nil {
		s.record(ctx, by, gatehouse.EventAdmin, u.ID, "custom claims changed"+claimNames(u.Claims))
	}
	if !u.Epoch.Equal(old.Epoch) {
		s.record(ctx, by, gatehouse.EventSessionRevoked, u.ID, fmt.Sprintf("%d sessions ended and every token issued before revoked", ended))
	}
}

// EndSessions ends every session of the user and every access token
// issued before now, by moving the user's epoch ("log out everywhere", the
// admin's kill switch); a login in flight creates nothing. It returns how
// many sessions ended. Errors: ErrNotFound, ErrContended.
func (s *Service) EndSessions(ctx context.Context, id, reason string, by Actor) (int, error) {
	for range maxAttempts {
		old, err := s.store.UserByID(ctx, id)
		if err != nil {
			return 0, storeError(err)
		}
		u := *old
		u.UpdatedAt = s.clock()
		u.Epoch = gatehouse.NextEpoch(u.UpdatedAt, old.Epoch)
		n, err := s.store.UpdateUser(ctx, &u, reason)
		if errors.Is(err, gatehouse.ErrStale) {
			continue
		}
		if err != nil {
			return 0, storeError(err)
		}
		s.metrics.revocations.Inc(causeOfAll(reason))
		s.record(ctx, by, gatehouse.EventSessionRevoked, id, fmt.Sprintf("%s: %d sessions ended and every token issued before revoked", reason, n))
		return n, nil
	}
	return 0, ErrContended
}

// Delete removes the user; its sessions end and every token issued before
// is revoked, in the same atomic operation. ErrNotFound.
func (s *Service) Delete(ctx context.Context, id string, by Actor) error {
	n, err := s.store.DeleteUser(ctx, id, "user deleted", s.clock())
	if err != nil {
		return storeError(err)
	}
	s.metrics.revocations.Inc(CauseUserDeleted)
	s.record(ctx, by, gatehouse.EventAdmin, id, fmt.Sprintf("user deleted, %d sessions ended", n))
	return nil
}

// checkScopes validates scope tokens and drops duplicates.
func checkScopes(sc []string) ([]string, error) {
	out := make([]string, 0, len(sc))
	for _, t := range sc {
		if !gatehouse.ValidScopeToken(t) {
			return nil, ErrInvalidScope
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}
