package token_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse"
	"github.com/gatehouse/gatehouse/token"
)

func Example() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	key, _ := token.GenerateKey(token.ES256)
	signer, _ := token.NewSigner(key)
	claims := &gatehouse.Claims{
		Issuer: "https://auth.example.com", Subject: "user-1", Audience: []string{"orders-api"},
		IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute),
		ID: "jti-1", ClientID: "gatehouse", Scopes: []string{"orders:read"},
	}
	tok, _ := signer.Sign(claims)

	// A resource server holds the public half only (or reads it from JWKS).
	keys, _ := token.NewKeySet(key.Public())
	v, _ := token.NewVerifier(keys, token.Options{
		Issuer: "https://auth.example.com", Audience: "orders-api",
		Now: func() time.Time { return now.Add(time.Minute) },
	})
	got, err := v.Verify(tok)
	fmt.Println(got.Subject, got.HasScope("orders:read"), err)

	// The claims of another token under this token's signature.
	claims.Subject = "admin"
	other, _ := signer.Sign(claims)
	forged := other[:strings.LastIndexByte(other, '.')] + tok[strings.LastIndexByte(tok, '.'):]
	_, err = v.Verify(forged)
	fmt.Println(errors.Is(err, token.ErrInvalid), errors.Is(err, token.ErrSignature))
	// Output:
	// user-1 true <nil>
	// true true
}
