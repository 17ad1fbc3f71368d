package guardtest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/guard"
	"github.com/gatehouse/gatehouse/guard/guardtest"
)

func TestIssuerTokensVerifyWithTheRemoteVerifier(t *testing.T) {
	iss := guardtest.NewIssuer(t, "orders-api")
	v := iss.Verifier(t)
	c, err := v.Verify(context.Background(), iss.Token(t, "user-1", "orders:read"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user-1" || len(c.Scopes) != 1 || c.Scopes[0] != "orders:read" {
		t.Fatalf("claims = %+v", c)
	}
	// Another issuer's token is refused: the keys are the issuer's own.
	other := guardtest.NewIssuer(t, "orders-api")
	if _, err := v.Verify(context.Background(), other.Token(t, "user-1")); !errors.Is(err, guard.ErrInvalidToken) {
		t.Fatalf("a token of another issuer: err = %v, want ErrInvalidToken", err)
	}
}
