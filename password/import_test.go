package password

import (
	"errors"
	"testing"
)

func TestCheckHashAcceptsWhatVerifyChecks(t *testing.T) {
	for _, h := range []string{refArgon2idP1, refArgon2iP1, passlibPBKDF2Password, openwallBcrypt, passlibArgon2id("x"),
		"$2b$12$" + openwallBcrypt[7:], "$2y$05$" + openwallBcrypt[7:]} {
		if err := CheckHash(h); err != nil {
			t.Errorf("CheckHash(%q) = %v", h, err)
		}
	}
	for _, h := range []string{"", "correct horse battery staple", "$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$6$rounds=5000$saltsalt$abc", "$2a$31$" + openwallBcrypt[7:], "$gh-sha256$abc"} {
		if err := CheckHash(h); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("CheckHash(%q) = %v, want ErrUnknownFormat", h, err)
		}
	}
}

func TestLooksLikeHash(t *testing.T) {
	for _, s := range []string{
		refArgon2idP1, refArgon2iP1, passlibPBKDF2Password, openwallBcrypt,
		"$2b$12$" + openwallBcrypt[7:],
		"$argon2d$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$6$rounds=5000$usesomesillystri$D4IrlXatmP7rx3P3InaxBeoomnAihCKRVQP22JZ6EY47Wc6BkroIuUUBOov1i.S5KPgErtP/EN5mcO.ChWQW21",
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF4hBCDYUIJhz0k",
		"$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
		"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
		"pbkdf2_sha256$600000$abcdefghijklmnopqrstuv$Zh8iCyeaYTsr5wWnrw0mf7QaMWvGWQlvUXcJ8DjcQnY=",
		"$2x$05$" + openwallBcrypt[7:],
	} {
		if !LooksLikeHash(s) {
			t.Errorf("LooksLikeHash(%q) = false", s)
		}
	}
	for _, s := range []string{
		"correct horse battery staple", "$ecret-Passw0rd", "$money$ $money$ money", "$6$", "hunter2",
		"pbkdf2 is a hash function", "my $2b$ password with spaces in it",
	} {
		if LooksLikeHash(s) {
			t.Errorf("LooksLikeHash(%q) = true; it is a password", s)
		}
	}
}
