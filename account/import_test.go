package account_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse/gatehouse/account"
)

func bcryptOf(t *testing.T, p string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestImportCreatesUsersThatLogInWithTheirOldPasswords(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newServer(t, pg)
		bc := bcryptOf(t, pw)
		rep, err := s.Accounts.Import(s.Ctx, []account.ImportUser{
			{Line: 1, Username: "Alice", PasswordHash: bc, Scopes: []string{"orders:read"}, HasScopes: true, Claims: claims("role", `"admin"`), HasClaims: true},
			{Line: 2, Username: "bob", PasswordHash: bc, Disabled: true, HasDisabled: true},
		}, account.ImportOptions{}, admin)
		if err != nil {
			t.Fatal(err)
		}
		if *rep != (account.ImportReport{Created: 2}) {
			t.Errorf("report %+v", rep)
		}
		a, err := s.Accounts.ByName(s.Ctx, "alice")
		if err != nil || a.PasswordHash != bc || !slices.Equal(a.Scopes, []string{"orders:read"}) || string(a.Claims["role"]) != `"admin"` {
			t.Fatalf("alice = %+v, %v", a, err)
		}
		if err := login(t, s, "alice"); err != nil {
			t.Fatalf("alice logs in with the old password: %v", err)
		}
		if err := login(t, s, "bob"); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("disabled bob: %v", err)
		}
	})
}

func TestImportRefusesEveryBadLineBeforeWritingAnything(t *testing.T) {
	s := newServer(t, false)
	bc := bcryptOf(t, pw)
	s.AddUser("taken", pw)
	before, _ := s.Accounts.List(s.Ctx)
	_, err := s.Accounts.Import(s.Ctx, []account.ImportUser{
		{Line: 1, Username: "fine", PasswordHash: bc},
		{Line: 2, Username: "\u0430lice", PasswordHash: bc},
		{Line: 3, Username: "carol", PasswordHash: "$6$rounds=5000$salt$hash"},
		{Line: 4, Username: "dave", PasswordHash: "correct horse battery staple"},
		{Line: 5, Username: "FINE", PasswordHash: bc},
		{Line: 6, Username: "erin", PasswordHash: bc, Scopes: []string{"a b"}, HasScopes: true},
		{Line: 7, Username: "frank", PasswordHash: bc, Claims: claims("sub", `"x"`), HasClaims: true},
		{Line: 8, Username: "taken", PasswordHash: bc},
		{Line: 9, Username: "grace"},
		{Line: 10, Username: "heidi", PasswordHash: "$2b$31$" + strings.Repeat("a", 53)},
	}, account.ImportOptions{}, admin)
	var ie *account.ImportError
	if !errors.As(err, &ie) || !errors.Is(err, account.ErrImportRefused) {
		t.Fatalf("Import = %v, want an ImportError", err)
	}
	var lines []int
	for _, l := range ie.Lines {
		lines = append(lines, l.Line)
	}
	if want := []int{2, 3, 4, 5, 6, 7, 8, 9, 10}; !slices.Equal(lines, want) {
		t.Fatalf("refused lines %v, want %v:\n%v", lines, want, err)
	}
	for _, want := range []string{"line 5", "also on line 1", "line 8", "--update", "password_hash", "custom claim \"sub\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	after, _ := s.Accounts.List(s.Ctx)
	if len(after) != len(before) {
		t.Errorf("%d users after a refused import, want %d", len(after), len(before))
	}
}

func TestImportUpdateAndDryRun(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newServer(t, pg)
		bc, bc2 := bcryptOf(t, pw), bcryptOf(t, "another password")
		s.AddUserHash("same", bc, "a")
		claimsOnly := s.AddUserHash("claims", bc, "a")
		moved := s.AddUserHash("moved", bc, "a", "b")
		for _, n := range []string{"claims", "moved"} {
			if err := login(t, s, n); err != nil {
				t.Fatal(err)
			}
		}
		claimsOnly, _ = s.Accounts.Get(s.Ctx, claimsOnly.ID) // rehashed by the login
		moved, _ = s.Accounts.Get(s.Ctx, moved.ID)
		lines := []account.ImportUser{
			{Line: 1, Username: "same", PasswordHash: bc},
			{Line: 2, Username: "claims", PasswordHash: claimsOnly.PasswordHash, Claims: claims("role", `"x"`), HasClaims: true},
			{Line: 3, Username: "moved", PasswordHash: bc2, Scopes: []string{"a"}, HasScopes: true},
			{Line: 4, Username: "new", PasswordHash: bc},
		}
		// Without --update the existing names are refused.
		if _, err := s.Accounts.Import(s.Ctx, lines, account.ImportOptions{}, admin); !errors.Is(err, account.ErrImportRefused) {
			t.Fatalf("without update: %v", err)
		}
		rep, err := s.Accounts.Import(s.Ctx, lines, account.ImportOptions{Update: true, DryRun: true}, admin)
		if err != nil || *rep != (account.ImportReport{Created: 1, Updated: 2, Unchanged: 1}) {
			t.Fatalf("dry run = %+v, %v", rep, err)
		}
		if _, err := s.Accounts.ByName(s.Ctx, "new"); !errors.Is(err, account.ErrNotFound) {
			t.Fatal("a dry run created a user")
		}
		rep, err = s.Accounts.Import(s.Ctx, lines, account.ImportOptions{Update: true}, admin)
		if err != nil || *rep != (account.ImportReport{Created: 1, Updated: 2, Unchanged: 1, SessionsEnded: 1}) {
			t.Fatalf("import = %+v, %v", rep, err)
		}
		c, _ := s.Accounts.Get(s.Ctx, claimsOnly.ID)
		if string(c.Claims["role"]) != `"x"` || !c.Epoch.Equal(claimsOnly.Epoch) {
			t.Errorf("claims user: claims %s, epoch moved %v (a claims change moves none)", c.Claims, !c.Epoch.Equal(claimsOnly.Epoch))
		}
		if ss, _ := s.Sessions.Sessions(s.Ctx, claimsOnly.ID); len(ss) != 1 {
			t.Errorf("the claims user has %d sessions, want its one", len(ss))
		}
		m, _ := s.Accounts.Get(s.Ctx, moved.ID)
		if m.PasswordHash != bc2 || !slices.Equal(m.Scopes, []string{"a"}) || !m.Epoch.After(moved.Epoch) {
			t.Errorf("moved user: scopes %v, epoch moved %v", m.Scopes, m.Epoch.After(moved.Epoch))
		}
		if ss, _ := s.Sessions.Sessions(s.Ctx, moved.ID); len(ss) != 0 {
			t.Errorf("a new hash left %d sessions", len(ss))
		}
	})
}

func TestImportOfManyUsers(t *testing.T) {
	s := newServer(t, false)
	bc := bcryptOf(t, pw)
	var lines []account.ImportUser
	for i := range 3000 {
		lines = append(lines, account.ImportUser{Line: i + 1, Username: fmt.Sprintf("user%05d", i), PasswordHash: bc})
	}
	rep, err := s.Accounts.Import(s.Ctx, lines, account.ImportOptions{}, admin)
	if err != nil || rep.Created != 3000 {
		t.Fatalf("Import = %+v, %v", rep, err)
	}
	page, err := s.Accounts.Page(s.Ctx, "user02998", 10)
	if err != nil || len(page) != 1 || page[0].Username != "user02999" {
		t.Fatalf("last page = %v, %v", page, err)
	}
}
