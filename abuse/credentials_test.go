package abuse_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/account"
	"golang.org/x/crypto/bcrypt"
)

// TestUsernameForms logs in with usernames that differ from an account's
// only by case, width, Unicode normal form or invisible characters. Each
// resolves, through the one documented canonical form
// (account.CanonicalUsername), to that account, or is refused with the
// same invalid_grant as a wrong password; none ever reaches another
// account.
func TestUsernameForms(t *testing.T) {
	s := newServer(t, cheapHashing)
	const josePW, kimPW, malloryPW = "josé's password here", "kim's password here", "mallory's password"
	alice := s.addUser("alice", alicePW, "orders:read")
	jose := s.addUser("josé", josePW, "orders:read")
	kim := s.addUser("kim", kimPW, "orders:read")
	mallory := s.addUser("mallory", malloryPW, "gatehouse:admin")
	users := []*gatehouse.User{alice, jose, kim, mallory}

	type outcome int
	const (
		same      outcome = iota // canonicalises to the account: 200 as that user
		refused                  // has no canonical form: invalid_grant
		otherName                // canonicalises to a name nobody has: invalid_grant
		wrongPW                  // canonicalises to the account, another's password: invalid_grant
	)
	cases := []struct {
		name, username, password string
		want                     outcome
		user                     *gatehouse.User
	}{
		{"upper case", "ALICE", alicePW, same, alice},
		{"title case", "Alice", alicePW, same, alice},
		{"full-width letters", "ａｌｉｃｅ", alicePW, same, alice},
		{"full-width capitals", "ＡＬＩＣＥ", alicePW, same, alice},
		{"capital I with a dot (folds to i)", "ALİCE", alicePW, same, alice},
		{"dotless ı (folds to i)", "alıce", alicePW, same, alice},
		{"NFC", "jos\u00e9", josePW, same, jose},
		{"NFD", "jose\u0301", josePW, same, jose},
		{"NFD in upper case", "JOSE\u0301", josePW, same, jose},
		{"NFC in upper case", "JOS\u00c9", josePW, same, jose},
		{"Kelvin sign for K", "\u212aim", kimPW, same, kim},
		{"full-width capitals, another account", "ＫＩＭ", kimPW, same, kim},

		{"a zero-width space", "al\u200bice", alicePW, refused, nil},
		{"a zero-width non-joiner", "al\u200cice", alicePW, refused, nil},
		{"a zero-width joiner", "al\u200dice", alicePW, refused, nil},
		{"a BOM in front", "\ufeffalice", alicePW, refused, nil},
		{"a soft hyphen", "ali\u00adce", alicePW, refused, nil},
		{"a word joiner", "alice\u2060", alicePW, refused, nil},
		{"a right-to-left override", "\u202ealice", alicePW, refused, nil},
		{"a variation selector", "alice\ufe0f", alicePW, refused, nil},
		{"a Mongolian vowel separator", "alice\u180e", alicePW, refused, nil},
		{"a Hangul filler", "alice\u3164", alicePW, refused, nil},
		{"a combining grapheme joiner", "alice\u034f", alicePW, refused, nil},
		{"a leading space", " alice", alicePW, refused, nil},
		{"a trailing space", "alice ", alicePW, refused, nil},
		{"a trailing tab", "alice\t", alicePW, refused, nil},
		{"a trailing newline", "alice\n", alicePW, refused, nil},
		{"a NUL", "alice\x00", alicePW, refused, nil},
		{"65 letters", strings.Repeat("a", 65), alicePW, refused, nil},

		{"a Cyrillic а", "\u0430lice", alicePW, refused, nil},
		{"a combining accent added", "alice\u0301", alicePW, otherName, nil},
		{"a no-break space inside", "al\u00a0ice", alicePW, refused, nil},
		{"the accent dropped", "jose", josePW, otherName, nil},
		{"another account's password", "ALICE", malloryPW, wrongPW, alice},
	}
	logins := map[string]int{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The table agrees with the documented canonical form.
			canon, err := account.CanonicalUsername(c.username)
			switch c.want {
			case same, wrongPW:
				if err != nil || canon != c.user.Username {
					t.Fatalf("CanonicalUsername(%q) = %q, %v; the table says %q", c.username, canon, err, c.user.Username)
				}
			case refused:
				if !errors.Is(err, account.ErrInvalidUsername) {
					t.Fatalf("CanonicalUsername(%q) = %q, %v; the table says refused", c.username, canon, err)
				}
			case otherName:
				for _, u := range users {
					if err != nil || canon == u.Username {
						t.Fatalf("CanonicalUsername(%q) = %q, %v; the table says a name nobody has", c.username, canon, err)
					}
				}
			}
			usersBefore := s.state(t).users
			r := s.postForm(t, "/token", form("grant_type", "password", "username", c.username, "password", c.password), nil)
			if c.want == same {
				if r.status != http.StatusOK {
					t.Fatalf("%s, want 200 as %s", r, c.user.Username)
				}
				tk := tokensOf(t, r)
				if sub := s.subject(t, tk.AccessToken); sub != c.user.ID {
					t.Fatalf("logged in as %s, want %s", sub, c.user.ID)
				}
				logins[c.user.ID]++
			} else if r.status != http.StatusBadRequest || r.oauthError() != "invalid_grant" {
				t.Fatalf("%s, want 400 invalid_grant", r)
			}
			if got := s.state(t).users; got != usersBefore {
				t.Errorf("users %d, want %d", got, usersBefore)
			}
		})
	}
	// Every session belongs to the account its row expected; no other
	// account (mallory's above all) gained one.
	for _, u := range users {
		ss, err := s.store.ListSessions(s.ctx, u.ID, s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) != logins[u.ID] {
			t.Errorf("%s has %d sessions, want %d", u.Username, len(ss), logins[u.ID])
		}
	}
}

// TestPasswordLengthBoundaries checks the 72-byte bcrypt boundary on an
// imported bcrypt hash (bcrypt ignores what follows byte 72), and the
// 1,024-byte cap on every hash.
func TestPasswordLengthBoundaries(t *testing.T) {
	s := newServer(t, cheapHashing)
	p72 := strings.Repeat("0123456789abcdef", 4) + "01234567"
	p73 := p72 + "8"
	if len(p72) != 72 || len(p73) != 73 {
		t.Fatal("bad fixture")
	}
	bh, err := bcrypt.GenerateFromPassword([]byte(p72), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	legacy := s.addUserHash("legacy", string(bh), "orders:read")
	s.addUser("seventythree", p73, "orders:read")
	p1024 := strings.Repeat("x", 1024)
	s.addUser("long", p1024, "orders:read")
	twoByte := strings.Repeat("é", 512) // 1,024 bytes
	s.addUser("accents", twoByte, "orders:read")

	storedHash := func() string {
		u, err := s.store.UserByID(s.ctx, legacy.ID)
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash
	}
	steps := []struct {
		name, user, password string
		status               int
		code                 string
		hash                 string // prefix of legacy's stored hash afterwards; "" to skip
	}{
		{"bcrypt: 73 bytes whose first 72 are the password", "legacy", p73, 400, "invalid_grant", "$2a$"},
		{"bcrypt: the password extended by 200 bytes", "legacy", p72 + strings.Repeat("z", 200), 400, "invalid_grant", "$2a$"},
		{"bcrypt: 71 bytes of the password", "legacy", p72[:71], 400, "invalid_grant", "$2a$"},
		{"bcrypt: the 72-byte password logs in and is rehashed", "legacy", p72, 200, "", "$argon2id$"},
		{"rehashed: 73 bytes whose first 72 are the password", "legacy", p73, 400, "invalid_grant", "$argon2id$"},
		{"rehashed: the 72-byte password", "legacy", p72, 200, "", "$argon2id$"},
		{"argon2id: a 73-byte password", "seventythree", p73, 200, "", ""},
		{"argon2id: its first 72 bytes", "seventythree", p73[:72], 400, "invalid_grant", ""},
		{"argon2id: a 1,024-byte password", "long", p1024, 200, "", ""},
		{"argon2id: 1,023 bytes of it", "long", p1024[:1023], 400, "invalid_grant", ""},
		{"argon2id: 1,024 bytes in two-byte letters", "accents", twoByte, 200, "", ""},
		{"argon2id: 1,025 bytes (cap)", "long", p1024 + "x", 400, "invalid_request", ""},
		{"argon2id: 1,025 bytes in two-byte letters (cap)", "accents", twoByte + "x", 400, "invalid_request", ""},
		{"bcrypt: 1,025 bytes (cap)", "legacy", p72 + strings.Repeat("x", 1025-72), 400, "invalid_request", ""},
		{"unknown user: 1,025 bytes (cap)", "nobody", p1024 + "x", 400, "invalid_request", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := s.state(t)
			r := s.postForm(t, "/token", form("grant_type", "password", "username", st.user, "password", st.password), nil)
			if r.status != st.status || r.oauthError() != st.code {
				t.Fatalf("%s, want %d %q", r, st.status, st.code)
			}
			if st.hash != "" && !strings.HasPrefix(storedHash(), st.hash) {
				t.Errorf("legacy's hash is %.10s…, want %s…", storedHash(), st.hash)
			}
			if st.code == "invalid_request" {
				// Refused before hashing: not even a failed login is recorded.
				s.unchanged(t, before)
			}
		})
	}
}

func tokensOf(t *testing.T, r *response) tokens {
	t.Helper()
	var tk tokens
	if err := json.Unmarshal(r.body, &tk); err != nil || tk.AccessToken == "" {
		t.Fatalf("token response %s: %v", r, err)
	}
	return tk
}
