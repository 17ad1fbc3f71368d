package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/password"
)

// ImportUser is one user of an import, as read from one line of a file.
type ImportUser struct {
	// Line is where the user was read, for errors.
	Line int
	// Username is stored in its canonical form.
	Username string
	// PasswordHash is a hash from the system the users come from
	// (password.CheckHash), stored as it is and replaced by argon2id at
	// the user's first successful login.
	PasswordHash string
	Scopes       []string
	Claims       map[string]json.RawMessage
	Disabled     bool
	// HasScopes, HasClaims and HasDisabled say which optional fields the
	// line gave: an existing user (ImportOptions.Update) keeps the
	// others as they are; a new user gets none, none and enabled.
	HasScopes, HasClaims, HasDisabled bool
}

// ImportOptions change what Import does.
type ImportOptions struct {
	// Update lets the import change users that exist; without it an
	// existing username is an error of its line.
	Update bool
	// DryRun decides everything and writes nothing.
	DryRun bool
}

// ImportReport is what an import did (or, with DryRun, would do).
type ImportReport struct {
	Created, Updated, Unchanged int
	// SessionsEnded counts the sessions of updated users that ended: a
	// new password hash, a scope taken away or disabling end them, as
	// any other change of the user does.
	SessionsEnded int
}

// LineError is why one line of an import was refused.
type LineError struct {
	Line     int
	Username string // as the line has it
	Err      error
}

func (e LineError) Error() string {
	if e.Username == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d (%q): %v", e.Line, e.Username, e.Err)
}

// ErrImportRefused: an import had lines that cannot be imported, and
// nothing was written. The error is an *ImportError listing them.
var ErrImportRefused = errors.New("account: import refused")

// ImportError lists every refused line of an import.
type ImportError struct {
	Lines []LineError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d line(s) refused, nothing imported", len(e.Lines))
	for i, l := range e.Lines {
		if i == 10 {
			fmt.Fprintf(&b, "; and %d more", len(e.Lines)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(l.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrImportRefused) hold.
func (e *ImportError) Unwrap() error { return ErrImportRefused }

// Import brings users with their password hashes in from another system,
// all or nothing: every line is checked (a canonical username, once in the
// file; a hash password.CheckHash accepts; RFC 6749 scope tokens; custom
// claims gatehouse.CheckCustomClaims accepts; a username that exists only
// with Update) and any refusal is reported per line, with its line number,
// before anything is written. Then every user is created or updated in
// one atomic store operation. An update is a change like Update's: a new
// hash, a scope taken away or disabling end the user's sessions; a user
// the import would not change is left alone. No password is hashed: the
// imported hashes are upgraded to argon2id at each user's first login.
//
// Errors: *ImportError (ErrImportRefused), ErrContended (users kept
// changing under it), or a wrapped store error.
func (s *Service) Import(ctx context.Context, users []ImportUser, opt ImportOptions, by Actor) (*ImportReport, error) {
	lines, names, lineErrs := checkImport(users)
	for range maxAttempts {
		existing, err := s.store.UsersByUsername(ctx, names)
		if err != nil {
			return nil, storeError(err)
		}
		byName := make(map[string]*gatehouse.User, len(existing))
		for _, u := range existing {
			byName[u.Username] = u
		}
		errs := lineErrs
		if !opt.Update {
			for i, l := range lines {
				if l == nil || byName[names[i]] == nil {
					continue
				}
				errs = append(errs, LineError{Line: l.Line, Username: l.Username,
					Err: errors.New("the user exists (import with --update to change it)")})
			}
		}
		if len(errs) > 0 {
			sortLineErrors(errs)
			return nil, &ImportError{Lines: errs}
		}

		now := s.clock()
		rep := &ImportReport{}
		var creates, updates []*gatehouse.User
		for i, l := range lines {
			old := byName[names[i]]
			if old == nil {
				scopes := l.Scopes
				if scopes == nil {
					scopes = []string{}
				}
				creates = append(creates, &gatehouse.User{
					ID: gatehouse.NewID(), Username: names[i], PasswordHash: l.PasswordHash, Scopes: scopes,
					Claims: l.Claims, Disabled: l.Disabled, CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now, Epoch: now,
				})
				continue
			}
			if u := importedChange(old, l, now); u != nil {
				updates = append(updates, u)
			} else {
				rep.Unchanged++
			}
		}
		rep.Created, rep.Updated = len(creates), len(updates)
		if opt.DryRun {
			return rep, nil
		}
		n, err := s.store.ImportUsers(ctx, creates, updates, "user imported")
		if errors.Is(err, gatehouse.ErrConflict) || errors.Is(err, gatehouse.ErrStale) {
			continue // a user was created or changed meanwhile: decide again
		}
		if err != nil {
			return nil, storeError(err)
		}
		rep.SessionsEnded = n
		for _, u := range updates {
			s.record(ctx, by, gatehouse.EventAdmin, u.ID, "user updated by an import")
		}
		s.record(ctx, by, gatehouse.EventAdmin, "", fmt.Sprintf("import: %d users created, %d updated, %d unchanged, %d sessions ended",
			rep.Created, rep.Updated, rep.Unchanged, n))
		return rep, nil
	}
	return nil, ErrContended
}

// checkImport checks every line on its own and against the others. It
// returns the lines (nil where refused), their canonical names and the
// refusals.
func checkImport(users []ImportUser) ([]*ImportUser, []string, []LineError) {
	lines := make([]*ImportUser, len(users))
	names := make([]string, len(users))
	var errs []LineError
	firstLine := make(map[string]int, len(users))
	for i := range users {
		l := users[i]
		refuse := func(err error) { errs = append(errs, LineError{Line: l.Line, Username: l.Username, Err: err}) }
		name, err := CanonicalUsername(l.Username)
		if err != nil {
			refuse(err)
			continue
		}
		if first, dup := firstLine[name]; dup {
			refuse(fmt.Errorf("the username %q is also on line %d", name, first))
			continue
		}
		firstLine[name] = l.Line
		if l.PasswordHash == "" {
			refuse(errors.New("no password_hash"))
			continue
		}
		if err := password.CheckHash(l.PasswordHash); err != nil {
			refuse(fmt.Errorf("password_hash: %w (accepted: bcrypt $2a$/$2b$/$2y$, passlib $pbkdf2-sha256$, $argon2id$, $argon2i$)", err))
			continue
		}
		if l.HasScopes {
			if l.Scopes, err = checkScopes(l.Scopes); err != nil {
				refuse(errors.New("scope: not RFC 6749 scope tokens separated by single spaces"))
				continue
			}
		}
		if l.HasClaims {
			if l.Claims, err = gatehouse.CheckCustomClaims(l.Claims); err != nil {
				refuse(err)
				continue
			}
		}
		lines[i], names[i] = &l, name
	}
	return lines, names, errs
}

// importedChange is old as line l makes it at now, or nil if l changes
// nothing.
func importedChange(old *gatehouse.User, l *ImportUser, now time.Time) *gatehouse.User {
	u := *old
	var why []string
	changed := false
	if l.PasswordHash != old.PasswordHash {
		u.PasswordHash, u.PasswordChangedAt = l.PasswordHash, now
		why, changed = append(why, "password changed"), true
	}
	if l.HasScopes && !slices.Equal(l.Scopes, old.Scopes) {
		u.Scopes, changed = l.Scopes, true
		if gatehouse.ScopesRemoved(old.Scopes, u.Scopes) {
			why = append(why, "scope removed")
		}
	}
	if l.HasClaims && !maps.EqualFunc(l.Claims, old.Claims, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
		u.Claims, changed = l.Claims, true
	}
	if l.HasDisabled && l.Disabled != old.Disabled {
		u.Disabled, changed = l.Disabled, true
		if u.Disabled {
			why = append(why, "user disabled")
		}
	}
	if !changed {
		return nil
	}
	u.UpdatedAt = now
	if len(why) > 0 {
		u.Epoch = gatehouse.NextEpoch(now, old.Epoch)
	}
	return &u
}

func sortLineErrors(errs []LineError) {
	slices.SortStableFunc(errs, func(a, b LineError) int { return a.Line - b.Line })
}
