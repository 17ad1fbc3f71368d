package gatehouse_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse"
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestCustomClaimsAreStoredCompactAndInOrder(t *testing.T) {
	got, err := gatehouse.CheckCustomClaims(map[string]json.RawMessage{
		"role":   raw(` "admin" `),
		"tenant": raw("{ \"id\" : 7,\n \"b\" : [ \"a\", true, null, 1.50 ], \"a\": {} }"),
		"roles":  raw(`["a","b"]`), // RFC 9068 §2.2.3.1 authorization claims are not reserved
		"n":      raw(`-0.5e+3`),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]json.RawMessage{
		"role": raw(`"admin"`), "tenant": raw(`{"id":7,"b":["a",true,null,1.50],"a":{}}`),
		"roles": raw(`["a","b"]`), "n": raw(`-0.5e+3`),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got, err := gatehouse.CheckCustomClaims(map[string]json.RawMessage{}); got != nil || err != nil {
		t.Fatalf("empty claims: %v, %v; want nil, nil", got, err)
	}
}

func TestCustomClaimsRefused(t *testing.T) {
	big := `"` + strings.Repeat("x", gatehouse.MaxCustomClaimsSize) + `"`
	deep := strings.Repeat("[", 10) + strings.Repeat("]", 10)
	cases := []struct {
		name   string
		claims map[string]json.RawMessage
		claim  string // the ClaimError's Name
	}{
		{"a reserved name", map[string]json.RawMessage{"sub": raw(`"admin"`)}, "sub"},
		{"a reserved name in another case", map[string]json.RawMessage{"Scope": raw(`"x"`)}, "Scope"},
		{"preferred_username, which Gatehouse mints", map[string]json.RawMessage{"preferred_username": raw(`"root"`)}, "preferred_username"},
		{"RFC 9068 acr", map[string]json.RawMessage{"acr": raw(`"urn:mace:incommon:iap:silver"`)}, "acr"},
		{"RFC 7800 cnf", map[string]json.RawMessage{"cnf": raw(`{"jkt":"x"}`)}, "cnf"},
		{"RFC 8693 act", map[string]json.RawMessage{"act": raw(`{"sub":"admin"}`)}, "act"},
		{"an empty name", map[string]json.RawMessage{"": raw(`1`)}, ""},
		{"a name that is not UTF-8", map[string]json.RawMessage{"r\xffle": raw(`1`)}, "r\ufffdle"},
		{"a name longer than 64 bytes", map[string]json.RawMessage{strings.Repeat("n", 65): raw(`1`)}, strings.Repeat("n", 64)},
		{"names that differ only by case", map[string]json.RawMessage{"role": raw(`1`), "ROLE": raw(`2`)}, "role"},
		{"names equal under Unicode case folding", map[string]json.RawMessage{"ſtaff": raw(`1`), "staff": raw(`2`)}, "ſtaff"},
		{"a value that is not JSON", map[string]json.RawMessage{"role": raw(`admin`)}, "role"},
		{"two values", map[string]json.RawMessage{"role": raw(`"a" "b"`)}, "role"},
		{"an empty value", map[string]json.RawMessage{"role": raw(``)}, "role"},
		{"a repeated member inside a value", map[string]json.RawMessage{"t": raw(`{"id":1,"id":2}`)}, "t"},
		{"members that differ only by case inside a value", map[string]json.RawMessage{"t": raw(`[{"id":1,"ID":2}]`)}, "t"},
		{"a lone surrogate escape", map[string]json.RawMessage{"t": raw(`"\ud800"`)}, "t"},
		{"invalid UTF-8 in a value", map[string]json.RawMessage{"t": raw("\"\xff\"")}, "t"},
		{"invalid UTF-8 in a nested name", map[string]json.RawMessage{"t": raw("{\"\xff\":1}")}, "t"},
		{"nesting deeper than 8", map[string]json.RawMessage{"t": raw(deep)}, "t"},
		{"more than MaxCustomClaimsSize bytes", map[string]json.RawMessage{"t": raw(big)}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gatehouse.CheckCustomClaims(tc.claims)
			var ce *gatehouse.ClaimError
			if got != nil || !errors.Is(err, gatehouse.ErrInvalidClaims) || !errors.As(err, &ce) || ce.Name != tc.claim {
				t.Fatalf("CheckCustomClaims = %v, %v; want a ClaimError naming %q", got, err, tc.claim)
			}
		})
	}
}

func TestCustomClaimsAtTheSizeCapAreAccepted(t *testing.T) {
	// {"t":"xxx…"}: 8 bytes around the string's content.
	exact := map[string]json.RawMessage{"t": raw(`"` + strings.Repeat("x", gatehouse.MaxCustomClaimsSize-8) + `"`)}
	if _, err := gatehouse.CheckCustomClaims(exact); err != nil {
		t.Fatalf("claims of exactly %d bytes: %v", gatehouse.MaxCustomClaimsSize, err)
	}
	exact["t"] = raw(`"` + strings.Repeat("x", gatehouse.MaxCustomClaimsSize-7) + `"`)
	if _, err := gatehouse.CheckCustomClaims(exact); err == nil {
		t.Fatalf("claims of %d bytes were accepted", gatehouse.MaxCustomClaimsSize+1)
	}
}

func TestApplyClaimChanges(t *testing.T) {
	cur := map[string]json.RawMessage{"role": raw(`"user"`), "dept": raw(`"ops"`)}
	got, err := gatehouse.ApplyClaimChanges(cur, map[string]json.RawMessage{"role": raw(`"admin"`), "lvl": raw(`2`)}, []string{"dept", "absent"})
	want := map[string]json.RawMessage{"role": raw(`"admin"`), "lvl": raw(`2`)}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s, %v; want %s", got, err, want)
	}
	if cur["dept"] == nil || string(cur["role"]) != `"user"` {
		t.Errorf("the current claims were changed in place: %s", cur)
	}
	if _, err := gatehouse.ApplyClaimChanges(cur, map[string]json.RawMessage{"Role": raw(`1`)}, nil); !errors.Is(err, gatehouse.ErrInvalidClaims) {
		t.Errorf("setting Role beside role: %v, want refused", err)
	}
	if _, err := gatehouse.ApplyClaimChanges(cur, map[string]json.RawMessage{"x": raw(`1`)}, []string{"x"}); !errors.Is(err, gatehouse.ErrInvalidClaims) {
		t.Errorf("setting and removing one claim: %v, want refused", err)
	}
	if got, err := gatehouse.ApplyClaimChanges(cur, nil, []string{"role", "dept"}); got != nil || err != nil {
		t.Errorf("removing every claim: %v, %v; want nil", got, err)
	}
}

func TestDecodeCustomReadsTheClaimsIntoTheCallersType(t *testing.T) {
	c := &gatehouse.Claims{Subject: "u1", Extra: map[string]json.RawMessage{"role": raw(`"admin"`), "tenant": raw(`{"id":7}`), "other": raw(`1`)}}
	var v struct {
		Role   string           `json:"role"`
		Tenant struct{ ID int } `json:"tenant"`
		Sub    string           `json:"sub"`
	}
	if err := c.DecodeCustom(&v); err != nil || v.Role != "admin" || v.Tenant.ID != 7 || v.Sub != "" {
		t.Fatalf("DecodeCustom = %+v, %v", v, err)
	}
	if err := (&gatehouse.Claims{}).DecodeCustom(&v); err != nil {
		t.Fatalf("no custom claims: %v", err)
	}
}
