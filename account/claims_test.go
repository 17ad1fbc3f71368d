package account_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
)

func claims(kv ...string) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = json.RawMessage(kv[i+1])
	}
	return m
}

func TestCreateAndUpdateCustomClaims(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newServer(t, pg)
		u, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "alice", Password: pw, Claims: claims("role", ` "admin" `, "level", "3")}, admin)
		if err != nil {
			t.Fatal(err)
		}
		if string(u.Claims["role"]) != `"admin"` || string(u.Claims["level"]) != "3" {
			t.Fatalf("created claims %s, want them compact", u.Claims)
		}
		if err := login(t, s, "alice"); err != nil {
			t.Fatal(err)
		}
		got, n, err := s.Accounts.Update(s.Ctx, u.ID, account.Changes{SetClaims: claims("role", `"user"`), UnsetClaims: []string{"level"}}, admin)
		if err != nil || n != 0 {
			t.Fatalf("Update = %d sessions ended, %v; a claims change ends none", n, err)
		}
		if len(got.Claims) != 1 || string(got.Claims["role"]) != `"user"` || !got.Epoch.Equal(u.Epoch) {
			t.Fatalf("claims %s, epoch moved %v", got.Claims, !got.Epoch.Equal(u.Epoch))
		}
		stored, _ := s.Accounts.Get(s.Ctx, u.ID)
		if string(stored.Claims["role"]) != `"user"` || stored.Claims["level"] != nil {
			t.Errorf("stored claims %s", stored.Claims)
		}
	})
}

func TestClaimsRefusalsChangeNothing(t *testing.T) {
	s := newServer(t, false)
	u, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "alice", Password: pw, Claims: claims("role", `"user"`)}, admin)
	if err != nil {
		t.Fatal(err)
	}
	big := `"` + strings.Repeat("x", gatehouse.MaxCustomClaimsSize) + `"`
	for name, c := range map[string]account.Changes{
		"a reserved name":             {SetClaims: claims("sub", `"root"`)},
		"a reserved name in any case": {SetClaims: claims("Client_ID", `"x"`)},
		"a value that is not JSON":    {SetClaims: claims("role", `admin`)},
		"oversize claims":             {SetClaims: claims("blob", big)},
		"a name that differs by case": {SetClaims: claims("Role", `"x"`)},
		"a name set and unset":        {SetClaims: claims("x", `1`), UnsetClaims: []string{"x"}},
	} {
		if _, _, err := s.Accounts.Update(s.Ctx, u.ID, c, admin); !errors.Is(err, gatehouse.ErrInvalidClaims) {
			t.Errorf("%s: %v, want ErrInvalidClaims", name, err)
		}
	}
	if _, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "bob", Password: pw, Claims: claims("exp", "1")}, admin); !errors.Is(err, gatehouse.ErrInvalidClaims) {
		t.Errorf("create with exp: %v", err)
	}
	got, _ := s.Accounts.Get(s.Ctx, u.ID)
	if got.Version != 1 || string(got.Claims["role"]) != `"user"` || len(got.Claims) != 1 {
		t.Errorf("after refused changes: version %d, claims %s", got.Version, got.Claims)
	}
	if _, err := s.Accounts.ByName(s.Ctx, "bob"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("the refused user was created: %v", err)
	}
}

func TestConcurrentClaimChangesAreAllApplied(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		s := newServer(t, pg)
		u, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "alice", Password: pw}, admin)
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				<-start
				_, _, errs[i] = s.Accounts.Update(s.Ctx, u.ID, account.Changes{SetClaims: claims(fmt.Sprintf("c%d", i), fmt.Sprint(i))}, admin)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("change %d: %v", i, err)
			}
		}
		got, _ := s.Accounts.Get(s.Ctx, u.ID)
		if len(got.Claims) != n {
			t.Fatalf("%d claims after %d concurrent changes, want every one: %s", len(got.Claims), n, got.Claims)
		}
	})
}

func TestCreateWithAnImportedHash(t *testing.T) {
	s := newServer(t, false)
	bc := bcryptOf(t, pw)
	u, err := s.Accounts.Create(s.Ctx, account.NewUser{Username: "alice", PasswordHash: bc}, admin)
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash != bc {
		t.Fatal("the imported hash was not stored as it is")
	}
	if err := login(t, s, "alice"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Accounts.Get(s.Ctx, u.ID)
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
		t.Errorf("after a login the hash is %.10s…, want argon2id", got.PasswordHash)
	}
	for name, n := range map[string]account.NewUser{
		"a hash in no known format": {Username: "bob", PasswordHash: "$6$rounds=5000$salt$hash"},
		"plain text as a hash":      {Username: "bob", PasswordHash: "correct horse battery staple"},
		"a hash and a password":     {Username: "bob", PasswordHash: bc, Password: pw},
	} {
		if _, err := s.Accounts.Create(s.Ctx, n, admin); !errors.Is(err, account.ErrInvalidPasswordHash) {
			t.Errorf("%s: %v, want ErrInvalidPasswordHash", name, err)
		}
	}
}
