package token

import (
	"bytes"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

var sealNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func mustKEK(t testing.TB) *KEK {
	t.Helper()
	k, err := ParseKEK(GenerateKEK())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustSeal(t testing.TB, k *Key, kek *KEK, state gatehouse.KeyState) *gatehouse.SigningKey {
	t.Helper()
	sk, err := SealKey(k, kek, state, sealNow)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func TestSealedKeysOpenOnlyWithTheirKEK(t *testing.T) {
	kek, other := mustKEK(t), mustKEK(t)
	for _, alg := range []Algorithm{ES256, EdDSA, RS256, HS256} {
		t.Run(string(alg), func(t *testing.T) {
			k := mustKey(t, alg)
			sk := mustSeal(t, k, kek, gatehouse.KeyNext)
			if sk.ID != k.ID() || sk.Algorithm != string(alg) || sk.KEKID != kek.ID() || sk.State != gatehouse.KeyNext ||
				!sk.CreatedAt.Equal(sealNow) || !sk.ActivatedAt.IsZero() {
				t.Fatalf("stored key = %+v", sk)
			}
			der, _ := k.MarshalPrivate()
			if bytes.Contains(sk.PrivateKey, der) || bytes.Contains(sk.PrivateKey, der[len(der)-32:]) {
				t.Fatal("the stored private part holds the key in the clear")
			}
			if _, err := x509.ParsePKCS8PrivateKey(sk.PrivateKey); err == nil {
				t.Fatal("the stored private part parses as PKCS#8")
			}
			back, err := OpenKey(sk, kek)
			if err != nil || back.ID() != k.ID() || !back.CanSign() {
				t.Fatalf("OpenKey = %v, %v", back, err)
			}
			verifyWith := k.Public()
			if alg == HS256 {
				verifyWith = k
				if sk.PublicKey != nil {
					t.Fatal("an HS256 key has a stored public half")
				}
			} else if pub, err := PublicFromStored(sk); err != nil || pub.ID() != k.ID() || pub.CanSign() {
				t.Fatalf("PublicFromStored = %v, %v", pub, err)
			}
			if _, err := mustVerifier(t, verifyWith).Verify(mustSign(t, back, testClaims())); err != nil {
				t.Fatalf("a token of the opened key does not verify: %v", err)
			}
			if _, err := OpenKey(sk, other); !errors.Is(err, ErrWrongKEK) {
				t.Fatalf("OpenKey with another KEK = %v, want ErrWrongKEK", err)
			}
			if _, err := OpenKey(sk, nil); !errors.Is(err, ErrWrongKEK) {
				t.Fatalf("OpenKey without a KEK = %v, want ErrWrongKEK", err)
			}
		})
	}
}

func TestSealedKeysRefuseTamperingAndMovedRows(t *testing.T) {
	kek := mustKEK(t)
	a, b := mustSeal(t, mustKey(t, ES256), kek, gatehouse.KeyActive), mustSeal(t, mustKey(t, ES256), kek, gatehouse.KeyNext)
	if !a.ActivatedAt.Equal(sealNow) {
		t.Fatalf("an active key's ActivatedAt = %v", a.ActivatedAt)
	}
	cases := []struct {
		name string
		edit func(sk *gatehouse.SigningKey)
	}{
		{"a flipped bit of the seal", func(sk *gatehouse.SigningKey) { sk.PrivateKey[len(sk.PrivateKey)-1] ^= 1 }},
		{"a flipped bit of the nonce", func(sk *gatehouse.SigningKey) { sk.PrivateKey[3] ^= 1 }},
		{"an unknown seal version", func(sk *gatehouse.SigningKey) { sk.PrivateKey[0] = 2 }},
		{"a truncated seal", func(sk *gatehouse.SigningKey) { sk.PrivateKey = sk.PrivateKey[:20] }},
		{"another key's seal in this row", func(sk *gatehouse.SigningKey) { sk.PrivateKey = bytes.Clone(b.PrivateKey) }},
		{"this seal under another kid", func(sk *gatehouse.SigningKey) { sk.ID, sk.PublicKey = b.ID, b.PublicKey }},
		{"this seal under another algorithm", func(sk *gatehouse.SigningKey) { sk.Algorithm = "EdDSA" }},
		{"another key's public half", func(sk *gatehouse.SigningKey) { sk.PublicKey = bytes.Clone(b.PublicKey) }},
		{"a destroyed private part", func(sk *gatehouse.SigningKey) { sk.PrivateKey = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sk := *a
			sk.PrivateKey = bytes.Clone(a.PrivateKey)
			tc.edit(&sk)
			if k, err := OpenKey(&sk, kek); err == nil {
				t.Fatalf("opened %s", k.ID())
			}
		})
	}
	t.Run("a public half under another kid is refused", func(t *testing.T) {
		sk := *a
		sk.PublicKey = b.PublicKey
		if _, err := PublicFromStored(&sk); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("only next and active keys are sealed", func(t *testing.T) {
		if _, err := SealKey(mustKey(t, ES256), kek, gatehouse.KeyRetired, sealNow); err == nil {
			t.Fatal("sealed a retired key")
		}
		if _, err := SealKey(mustKey(t, ES256).Public(), kek, gatehouse.KeyNext, sealNow); err == nil {
			t.Fatal("sealed a public key")
		}
		if _, err := SealKey(mustKey(t, ES256), nil, gatehouse.KeyNext, sealNow); err == nil {
			t.Fatal("sealed without a KEK")
		}
	})
}

func TestKeysStoredInTheClearOpenAndReseal(t *testing.T) {
	k := mustKey(t, EdDSA)
	der, _ := k.MarshalPrivate()
	legacy := &gatehouse.SigningKey{ID: k.ID(), Algorithm: "EdDSA", PrivateKey: der, State: gatehouse.KeyActive, CreatedAt: sealNow}
	back, err := OpenKey(legacy, nil)
	if err != nil || back.ID() != k.ID() {
		t.Fatalf("OpenKey of a row stored in the clear = %v, %v", back, err)
	}
	if !bytes.Equal(legacy.PrivateKey, der) {
		t.Fatal("OpenKey altered the stored bytes")
	}
	kek := mustKEK(t)
	sealed, err := Reseal(legacy, nil, kek)
	if err != nil {
		t.Fatal(err)
	}
	if sealed.KEKID != kek.ID() || bytes.Contains(sealed.PrivateKey, der[len(der)-32:]) || len(sealed.PublicKey) == 0 {
		t.Fatalf("resealed = %+v", sealed)
	}
	if got, err := OpenKey(sealed, kek); err != nil || got.ID() != k.ID() {
		t.Fatalf("OpenKey after Reseal = %v, %v", got, err)
	}

	t.Run("a retired key stored in the clear keeps its public half only", func(t *testing.T) {
		r := *legacy
		r.State = gatehouse.KeyRetired
		out, err := Reseal(&r, nil, kek)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.PrivateKey) != 0 {
			t.Fatal("a retired key kept its private part")
		}
		if pub, err := PublicFromStored(out); err != nil || pub.ID() != k.ID() {
			t.Fatalf("PublicFromStored = %v, %v", pub, err)
		}
	})
	t.Run("a rewrap moves a sealed key to the new KEK", func(t *testing.T) {
		next := mustKEK(t)
		out, err := Reseal(sealed, kek, next)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenKey(out, kek); !errors.Is(err, ErrWrongKEK) {
			t.Fatalf("the old KEK still opens a rewrapped key: %v", err)
		}
		if got, err := OpenKey(out, next); err != nil || got.ID() != k.ID() {
			t.Fatalf("OpenKey with the new KEK = %v, %v", got, err)
		}
		if _, err := Reseal(sealed, mustKEK(t), next); !errors.Is(err, ErrWrongKEK) {
			t.Fatalf("Reseal with a wrong old KEK = %v, want ErrWrongKEK", err)
		}
	})
}

func TestParseKEK(t *testing.T) {
	text := GenerateKEK()
	if len(text) != 45 || text[44] != '\n' {
		t.Fatalf("GenerateKEK = %q, want 44 base64 characters and a newline", text)
	}
	a, err := ParseKEK(text)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseKEK([]byte("  \r\n" + strings.TrimSpace(string(text)) + "\n\n"))
	if err != nil || b.ID() != a.ID() {
		t.Fatalf("surrounding white space: %v, id %s vs %s", err, b.ID(), a.ID())
	}
	if len(a.ID()) != 16 || strings.Contains(string(text), a.ID()) {
		t.Fatalf("KEK id %q", a.ID())
	}
	if c := mustKEK(t); c.ID() == a.ID() {
		t.Fatal("two generated KEKs have one id")
	}
	secret := strings.TrimSpace(string(text))
	for name, bad := range map[string]string{
		"empty":                          "",
		"31 bytes":                       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
		"33 bytes":                       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",
		"base64url alphabet":             strings.NewReplacer("+", "-", "/", "_").Replace(secret) + "-_",
		"no padding":                     strings.TrimRight(secret, "="),
		"hex":                            strings.Repeat("ab", 32),
		"two keys":                       secret + "\n" + secret,
		"the key with a character added": secret[:10] + "!" + secret[10:],
	} {
		_, err := ParseKEK([]byte(bad))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if bad != "" && strings.Contains(err.Error(), bad[:8]) {
			t.Errorf("%s: the error quotes the text: %v", name, err)
		}
	}
	if _, err := NewKEK(make([]byte, 16)); err == nil {
		t.Error("NewKEK accepted 16 bytes")
	}
}
