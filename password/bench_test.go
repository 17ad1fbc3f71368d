package password

import (
	"context"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The benchmarks run at the default (OWASP minimum) parameters: they
// measure what a login costs.

func BenchmarkHash(b *testing.B) {
	h := newHasher(b, Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := newHasher(b, Config{})
	ctx := context.Background()
	encoded, _ := h.Hash(ctx, "correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", encoded); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	h := newHasher(b, Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.VerifyDummy(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyBcrypt10(b *testing.B) {
	h := newHasher(b, Config{})
	ctx := context.Background()
	encoded, _ := bcrypt.GenerateFromPassword([]byte("password"), bcrypt.DefaultCost)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "password", string(encoded)); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
