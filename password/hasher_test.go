package password

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultsAreTheOWASPMinimum(t *testing.T) {
	h := newHasher(t, Config{})
	c := h.Config()
	if c.Memory != 19456 || c.Time != 2 || c.Threads != 1 {
		t.Fatalf("defaults m=%d,t=%d,p=%d; want m=19456,t=2,p=1", c.Memory, c.Time, c.Threads)
	}
	if c.MinLength != 8 || c.MaxLength != 1024 || c.MaxConcurrent < 1 || c.MaxWait <= 0 {
		t.Fatalf("defaults %+v", c)
	}
	encoded, err := h.Hash(t.Context(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the OWASP parameters", encoded)
	}
	a, err := parseArgon2(encoded)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.salt) != 16 || len(a.key) != 32 {
		t.Fatalf("salt %d bytes, tag %d bytes; want 16 and 32", len(a.salt), len(a.key))
	}
	ok, rehash, err := h.Verify(t.Context(), "correct horse", encoded)
	if !ok || rehash || err != nil {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestNewRefusesParametersBelowTheOWASPMinimum(t *testing.T) {
	for _, cfg := range []Config{
		{Memory: 19455},
		{Time: 1},
		{Memory: 65536, Time: 1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted weak parameters", cfg)
		}
		cfg.AllowWeak = true
		if _, err := New(cfg); err != nil {
			t.Errorf("New(%+v) with AllowWeak: %v", cfg, err)
		}
	}
	for _, cfg := range []Config{
		{Memory: 65536, Time: 3, Threads: 4},
		{Memory: 47104, Time: 2},
	} {
		if _, err := New(cfg); err != nil {
			t.Errorf("New(%+v) refused stronger parameters: %v", cfg, err)
		}
	}
}

func TestNewRefusesInvalidConfig(t *testing.T) {
	for _, cfg := range []Config{
		{MinLength: 20, MaxLength: 10},
		{MinLength: -1},
		{MaxConcurrent: -1},
		{Memory: 8, Threads: 4, AllowWeak: true},
		{Memory: 1 << 21},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", cfg)
		}
	}
}

func TestHashRoundTrip(t *testing.T) {
	h := newHasher(t, cheap)
	for _, pw := range []string{"password", "pässwörd ünïcode", strings.Repeat("x", 1024), "with\x00nul bytes"} {
		encoded, err := h.Hash(t.Context(), pw)
		if err != nil {
			t.Fatal(err)
		}
		if ok, rehash, err := h.Verify(t.Context(), pw, encoded); !ok || rehash || err != nil {
			t.Errorf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
		if ok, _, err := h.Verify(t.Context(), pw[:len(pw)-1]+"!", encoded); ok || err != nil {
			t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
		}
	}
}

func TestHashUsesAFreshSaltEachTime(t *testing.T) {
	h := newHasher(t, cheap)
	a, _ := h.Hash(t.Context(), "password")
	b, _ := h.Hash(t.Context(), "password")
	if a == b {
		t.Fatalf("two hashes of one password are equal: %s", a)
	}
}

func TestPolicyIsCheckedBeforeHashing(t *testing.T) {
	h := newHasher(t, Config{Memory: 64, Time: 1, AllowWeak: true, MinLength: 8, MaxLength: 16})
	calls := recordArgon(h)
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"seven bytes is too short", "1234567", ErrTooShort},
		{"eight bytes is enough", "12345678", nil},
		{"sixteen bytes is the cap", strings.Repeat("a", 16), nil},
		{"seventeen bytes is too long", strings.Repeat("a", 17), ErrTooLong},
		{"length counts bytes, not characters", strings.Repeat("é", 9), ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.CheckPolicy(tc.pw); !errors.Is(err, tc.want) {
				t.Fatalf("CheckPolicy = %v; want %v", err, tc.want)
			}
			before := len(calls())
			_, err := h.Hash(t.Context(), tc.pw)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Hash = %v; want %v", err, tc.want)
			}
			if hashed := len(calls()) - before; tc.want != nil && hashed != 0 {
				t.Fatalf("Hash computed %d argon2id tags before refusing", hashed)
			}
		})
	}
}
