package gatehouse_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse"
)

func TestClaimsCustomDecodesByName(t *testing.T) {
	c := &gatehouse.Claims{Extra: map[string]json.RawMessage{"tenant": json.RawMessage(`{"id":7}`)}}
	var v struct{ ID int }
	if err := c.Custom("tenant", &v); err != nil || v.ID != 7 {
		t.Fatalf("Custom = %+v, %v", v, err)
	}
	if err := c.Custom("missing", &v); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Fatalf("missing claim err = %v, want ErrNotFound", err)
	}
}

func TestReservedClaimsAreReserved(t *testing.T) {
	for _, n := range []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "sid", "scope", "auth_time"} {
		if !gatehouse.IsReservedClaim(n) {
			t.Errorf("%s not reserved", n)
		}
	}
	if gatehouse.IsReservedClaim("tenant") {
		t.Error("tenant reserved")
	}
	for _, n := range []string{"SUB", "Sub", "sCoPe", "Exp"} {
		if !gatehouse.IsReservedClaim(n) {
			t.Errorf("%s is not reserved; a case-insensitive consumer reads it as a reserved claim", n)
		}
	}
}

func TestRegisteredAndMintedNamesAreReserved(t *testing.T) {
	for _, n := range []string{"preferred_username", "acr", "amr", "cnf", "act", "may_act", "azp", "nonce", "at_hash", "c_hash", "PREFERRED_USERNAME"} {
		if !gatehouse.IsReservedClaim(n) {
			t.Errorf("%s is not reserved", n)
		}
	}
	for _, n := range []string{"roles", "groups", "entitlements", "role", "user_role", "tenant"} {
		if gatehouse.IsReservedClaim(n) {
			t.Errorf("%s is reserved; it is a custom claim", n)
		}
	}
}
