package password

import (
	"slices"
	"testing"
)

func TestVerifyDummyComputesARealArgon2idVerification(t *testing.T) {
	cfg := Config{Memory: 256, Time: 3, Threads: 2, AllowWeak: true}
	h := newHasher(t, cfg)
	encoded, err := h.Hash(t.Context(), "the real password")
	if err != nil {
		t.Fatal(err)
	}
	calls := recordArgon(h)

	if ok, _, err := h.Verify(t.Context(), "a wrong password", encoded); ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	real := calls()
	for _, pw := range []string{"a wrong password", "", "the real password"} {
		if err := h.VerifyDummy(t.Context(), pw); err != nil {
			t.Fatalf("VerifyDummy(%q) = %v", pw, err)
		}
	}
	dummy := calls()[len(real):]

	want := argonCall{time: 3, memory: 256, threads: 2, saltLen: saltLen, keyLn: keyLen}
	if !slices.Equal(real, []argonCall{want}) {
		t.Fatalf("Verify computed %+v; want one %+v", real, want)
	}
	if !slices.Equal(dummy, []argonCall{want, want, want}) {
		t.Fatalf("VerifyDummy computed %+v; want one %+v per call", dummy, want)
	}
}
