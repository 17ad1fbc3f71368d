package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Known-answer vectors of the argon2 reference implementation
// (phc-winner-argon2, src/test.c; passlib's argon2 tests reuse them):
// password "password", salt "somesalt". The m=256 ones are cheap.
const (
	refArgon2idP1 = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	refArgon2idP2 = "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"
	refArgon2iP1  = "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8"
)

// Known-answer vectors of passlib's own test suite (test_handlers.py,
// pbkdf2_sha256_test.known_correct_hashes).
const (
	passlibPBKDF2Password = "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"
	passlibPBKDF2Greek    = "$pbkdf2-sha256$1212$3SABFJGDtyhrQMVt1uABPw$WyaUoqCLgvz97s523nF4iuOqZNbp5Nt8do/cuaa7AiI"
	greek                 = "\u0399\u03c9\u03b1\u03bd\u03bd\u03b7\u03c2"
)

// A vector of Openwall's crypt_blowfish test suite.
const openwallBcrypt = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW" // "U*U"

func mustBcrypt(t *testing.T, pw string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// passlibPBKDF2 builds a passlib pbkdf2-sha256 string independently of the
// parser: the checksum from crypto/pbkdf2, the ab64 encoding by hand.
func passlibPBKDF2(t *testing.T, pw string, salt []byte, rounds int) string {
	t.Helper()
	sum, err := pbkdf2.Key(sha256.New, pw, salt, rounds, 32)
	if err != nil {
		t.Fatal(err)
	}
	ab64 := func(b []byte) string {
		return strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(b), "+", ".")
	}
	return fmt.Sprintf("$pbkdf2-sha256$%d$%s$%s", rounds, ab64(salt), ab64(sum))
}

// passlibArgon2id builds an argon2id string the way passlib's default
// settings do (p=4, 16-byte salt, 32-byte tag), at a cheap memory cost.
func passlibArgon2id(pw string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, 3, 256, 4, 32)
	return fmt.Sprintf("$argon2id$v=19$m=256,t=3,p=4$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestVerifyKnownAnswers(t *testing.T) {
	h := newHasher(t, cheap)
	ours, err := h.Hash(t.Context(), "password")
	if err != nil {
		t.Fatal(err)
	}
	bc := mustBcrypt(t, "password")
	tests := []struct {
		name, pw, encoded string
		ok, rehash        bool
	}{
		{"our argon2id at current parameters", "password", ours, true, false},
		{"our argon2id, wrong password", "Password", ours, false, false},
		{"reference argon2id p=1", "password", refArgon2idP1, true, true},
		{"reference argon2id p=2", "password", refArgon2idP2, true, true},
		{"reference argon2id, wrong password", "passwore", refArgon2idP1, false, false},
		{"passlib-style argon2id p=4", "hunter22", passlibArgon2id("hunter22"), true, true},
		{"reference argon2i p=1", "password", refArgon2iP1, true, true},
		{"reference argon2i, wrong password", "passwore", refArgon2iP1, false, false},
		{"passlib pbkdf2-sha256", "password", passlibPBKDF2Password, true, true},
		{"passlib pbkdf2-sha256, non-ASCII", greek, passlibPBKDF2Greek, true, true},
		{"passlib pbkdf2-sha256, wrong password", "passwore", passlibPBKDF2Password, false, false},
		{"pbkdf2-sha256 with '+' in the salt", "s3cret!!", passlibPBKDF2(t, "s3cret!!", []byte{0xfb, 0xef, 0xbe, 1}, 1000), true, true},
		{"bcrypt $2a$ generated", "password", bc, true, true},
		{"bcrypt $2b$", "password", "$2b$" + bc[4:], true, true},
		{"bcrypt $2y$", "password", "$2y$" + bc[4:], true, true},
		{"bcrypt, wrong password", "passwore", bc, false, false},
		{"bcrypt openwall vector", "U*U", openwallBcrypt, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(t.Context(), tc.pw, tc.encoded)
			if err != nil || ok != tc.ok || rehash != tc.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tc.ok, tc.rehash)
			}
		})
	}
}

func TestRehashedHashIsCurrent(t *testing.T) {
	h := newHasher(t, cheap)
	ok, rehash, err := h.Verify(t.Context(), "password", passlibPBKDF2Password)
	if !ok || !rehash || err != nil {
		t.Fatalf("Verify(imported) = %v, %v, %v", ok, rehash, err)
	}
	fresh, err := h.Hash(t.Context(), "password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := h.Verify(t.Context(), "password", fresh); !ok || rehash || err != nil {
		t.Fatalf("Verify(rehashed) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestArgon2idAtOtherParametersAsksForRehash(t *testing.T) {
	old := newHasher(t, cheap)
	encoded, _ := old.Hash(t.Context(), "password")
	for _, cfg := range []Config{
		{Memory: 128, Time: 1, Threads: 1, AllowWeak: true},
		{Memory: 64, Time: 2, Threads: 1, AllowWeak: true},
		{Memory: 64, Time: 1, Threads: 2, AllowWeak: true},
	} {
		h := newHasher(t, cfg)
		if ok, rehash, err := h.Verify(t.Context(), "password", encoded); !ok || !rehash || err != nil {
			t.Errorf("Verify under %+v = %v, %v, %v; want true, true, nil", cfg, ok, rehash, err)
		}
	}
}

func TestBcrypt72ByteBoundary(t *testing.T) {
	h := newHasher(t, cheap)
	pw72 := strings.Repeat("a", 71) + "b"
	hash72 := mustBcrypt(t, pw72)
	pw73 := pw72 + "c"
	// The danger being guarded against: bcrypt itself accepts it.
	if bcrypt.CompareHashAndPassword([]byte(hash72), []byte(pw73)) != nil {
		t.Fatal("x/crypto/bcrypt no longer ignores bytes past 72; revisit this test")
	}
	tests := []struct {
		name, pw string
		ok       bool
	}{
		{"the 72-byte password matches", pw72, true},
		{"a 73-byte password whose first 72 bytes match is refused", pw73, false},
		{"a 100-byte password whose first 72 bytes match is refused", pw72 + strings.Repeat("z", 28), false},
		{"the 71-byte prefix does not match", pw72[:71], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, _, err := h.Verify(t.Context(), tc.pw, hash72)
			if ok != tc.ok || err != nil {
				t.Fatalf("Verify = %v, %v; want %v, nil", ok, err, tc.ok)
			}
		})
	}
}

func TestVerifyRefusesOverlongPasswordsBeforeHashing(t *testing.T) {
	h := newHasher(t, Config{Memory: 64, Time: 1, AllowWeak: true, MaxLength: 32})
	calls := recordArgon(h)
	encoded, _ := h.Hash(t.Context(), "password")
	before := len(calls())
	if _, _, err := h.Verify(t.Context(), strings.Repeat("p", 33), encoded); !errors.Is(err, ErrTooLong) {
		t.Fatalf("Verify = %v; want ErrTooLong", err)
	}
	if err := h.VerifyDummy(t.Context(), strings.Repeat("p", 33)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("VerifyDummy = %v; want ErrTooLong", err)
	}
	if n := len(calls()) - before; n != 0 {
		t.Fatalf("%d argon2id computations before refusing", n)
	}
	// Verify does not apply the minimum length: old passwords stay valid.
	short, _ := newHasher(t, Config{Memory: 64, Time: 1, AllowWeak: true, MinLength: 1}).Hash(t.Context(), "abc")
	if ok, _, err := h.Verify(t.Context(), "abc", short); !ok || err != nil {
		t.Fatalf("Verify(short password) = %v, %v; want true, nil", ok, err)
	}
}

func TestVerifyUnknownOrMalformedHashes(t *testing.T) {
	h := newHasher(t, cheap)
	calls := recordArgon(h)
	bc := mustBcrypt(t, "password")
	for _, encoded := range []string{
		"",
		"password",
		"$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=16$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$t=2,m=256,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=0256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=0,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=2,p=0$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=8,t=2,p=4$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=1000,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=2,p=1,data=YQ$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR",
		// Go's base64 skips CR and LF, even when Strict: a hash spelled
		// with them inside a segment is not this hash.
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNh\nbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHG\r\ni/4",
		"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7a\ncBp9/6c.tmQ",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4$",
		"$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		bc[:len(bc)-1],
		bc + "x",
		"$pbkdf2-sha256$01212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
		"$pbkdf2-sha256$$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
		"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ$",
		"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c",
		"$pbkdf2-sha256$99999999$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ",
		"$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg+fJPeq1h/gXXY7acBp9/6c.tmQ",
		"$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI",
		"$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww",
	} {
		ok, rehash, err := h.Verify(t.Context(), "password", encoded)
		if !errors.Is(err, ErrUnknownFormat) || ok || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrUnknownFormat", encoded, ok, rehash, err)
		}
	}
	if n := len(calls()); n != 0 {
		t.Fatalf("%d argon2id computations for unparseable hashes", n)
	}
}

func FuzzParseHash(f *testing.F) {
	for _, s := range []string{refArgon2idP1, refArgon2iP1, passlibPBKDF2Password, openwallBcrypt, "$argon2id$", "$2a$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		stored, err := parseHash(s)
		if (stored == nil) == (err == nil) {
			t.Fatalf("parseHash(%q) = %v, %v", s, stored, err)
		}
		if a, ok := stored.(*argon2Hash); ok && a.String() != s {
			// Accepted argon2 strings are canonical: they format back to
			// themselves.
			t.Fatalf("parseHash(%q) formats back as %q", s, a.String())
		}
	})
}
