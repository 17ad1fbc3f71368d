package password_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/password"
)

func TestClientSecretHashes(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	h := password.SecretHash(secret)
	if !password.IsSecretHash(h) || strings.Contains(h, secret) {
		t.Fatalf("hash %q", h)
	}
	// SHA-256 of the secret, unpadded standard base64 (checked with
	// `printf %s SECRET | sha256sum | xxd -r -p | base64`).
	if h != "$gh-sha256$vckL6wfoKlZSKwysd63U02hrzlsuOeeajtMXO5vrst8" {
		t.Fatalf("hash %q", h)
	}
	if !password.VerifySecret(secret, h) {
		t.Error("the secret does not match its hash")
	}
	for _, wrong := range []string{"", secret[:len(secret)-1], secret + "x", strings.ToLower(secret)} {
		if password.VerifySecret(wrong, h) {
			t.Errorf("%q matches", wrong)
		}
	}
	if password.VerifySecret(secret, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA") {
		t.Error("a hash of another format matched")
	}
}
