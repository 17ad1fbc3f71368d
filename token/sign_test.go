package token

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse"
)

func TestSignVerifyRoundTripsEveryAlgorithm(t *testing.T) {
	for _, alg := range []Algorithm{ES256, EdDSA, RS256, HS256} {
		t.Run(string(alg), func(t *testing.T) {
			k := mustKey(t, alg)
			in := testClaims()
			in.Audience = []string{testAud, "billing"}
			in.NotBefore = testNow.Add(-time.Second)
			in.Username = "alice"
			in.Extra = map[string]json.RawMessage{"tenant": json.RawMessage(`{"id": 7}`)}
			verifyWith := k.Public()
			if alg == HS256 {
				verifyWith = k
			}
			got, err := mustVerifier(t, verifyWith).Verify(mustSign(t, k, in))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := *in
			want.KeyID = k.ID()
			want.Extra = map[string]json.RawMessage{"tenant": json.RawMessage(`{"id":7}`)}
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("claims\n got %+v\nwant %+v", got, &want)
			}
		})
	}
}

func TestSignWritesTheRFC9068Profile(t *testing.T) {
	k := mustKey(t, ES256)
	tok := mustSign(t, k, testClaims())
	parts := strings.Split(tok, ".")
	h, _ := decodeSegment(parts[0])
	if string(h) != stdHeader(k) {
		t.Fatalf("header = %s", h)
	}
	p, _ := decodeSegment(parts[1])
	want := `{"iss":"https://auth.example.com","sub":"user-1","aud":"orders-api","exp":1772367300,"iat":1772366400,` +
		`"jti":"jti-1","client_id":"gatehouse","sid":"sid-1","scope":"orders:read orders:write","auth_time":1772366340}`
	if string(p) != want {
		t.Fatalf("payload\n got %s\nwant %s", p, want)
	}
	if sig, _ := decodeSegment(parts[2]); len(sig) != 64 {
		t.Fatalf("ES256 signature of %d bytes, want 64 (R||S)", len(sig))
	}
}

func TestPreferredUsernameIsWrittenOnlyWhenSet(t *testing.T) {
	k := mustKey(t, ES256)
	c := testClaims()
	c.Username = "josé"
	p, _ := decodeSegment(strings.Split(mustSign(t, k, c), ".")[1])
	if !strings.HasSuffix(string(p), `,"auth_time":1772366340,"preferred_username":"josé"}`) {
		t.Fatalf("payload %s, want preferred_username after auth_time", p)
	}
	got, err := mustVerifier(t, k.Public()).Verify(mustSign(t, k, c))
	if err != nil || got.Username != "josé" || got.Extra != nil {
		t.Fatalf("verified Username %q, Extra %v, %v", got.Username, got.Extra, err)
	}
}

func TestSignRefuses(t *testing.T) {
	k := mustKey(t, EdDSA)
	s, err := NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(c *gatehouse.Claims)
		want   error // nil: any error
	}{
		{"a custom claim with a reserved name is ErrReservedClaim", func(c *gatehouse.Claims) {
			c.Extra = map[string]json.RawMessage{"sub": json.RawMessage(`"admin"`)}
		}, ErrReservedClaim},
		{"a custom claim with a reserved name in another case is ErrReservedClaim", func(c *gatehouse.Claims) {
			c.Extra = map[string]json.RawMessage{"SUB": json.RawMessage(`"admin"`)}
		}, ErrReservedClaim},
		{"custom claims whose names differ only by case", func(c *gatehouse.Claims) {
			c.Extra = map[string]json.RawMessage{"role": json.RawMessage(`"user"`), "ROLE": json.RawMessage(`"admin"`)}
		}, nil},
		{"a custom claim that is not JSON", func(c *gatehouse.Claims) {
			c.Extra = map[string]json.RawMessage{"x": json.RawMessage(`{`)}
		}, nil},
		{"a custom claim with a repeated member", func(c *gatehouse.Claims) {
			c.Extra = map[string]json.RawMessage{"x": json.RawMessage(`{"a":1,"a":2}`)}
		}, nil},
		{"a missing sub", func(c *gatehouse.Claims) { c.Subject = "" }, nil},
		{"a missing jti", func(c *gatehouse.Claims) { c.ID = "" }, nil},
		{"a missing client_id", func(c *gatehouse.Claims) { c.ClientID = "" }, nil},
		{"a missing iss", func(c *gatehouse.Claims) { c.Issuer = "" }, nil},
		{"a missing aud", func(c *gatehouse.Claims) { c.Audience = nil }, nil},
		{"a missing exp", func(c *gatehouse.Claims) { c.ExpiresAt = time.Time{} }, nil},
		{"a missing iat", func(c *gatehouse.Claims) { c.IssuedAt = time.Time{} }, nil},
		{"a time before 1970", func(c *gatehouse.Claims) { c.IssuedAt = time.Unix(-5, 0) }, nil},
		{"a scope token with a space", func(c *gatehouse.Claims) { c.Scopes = []string{"a b"} }, nil},
		{"a string that is not UTF-8", func(c *gatehouse.Claims) { c.Subject = "\xff" }, nil},
		{"a preferred_username that is not UTF-8", func(c *gatehouse.Claims) { c.Username = "\xff" }, nil},
		{"preferred_username as a custom claim is ErrReservedClaim", func(c *gatehouse.Claims) {
			c.Extra = map[string]json.RawMessage{"preferred_username": json.RawMessage(`"root"`)}
		}, ErrReservedClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClaims()
			tt.change(c)
			tok, err := s.Sign(c)
			if err == nil || tok != "" || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Sign = %q, %v; want an error (%v)", tok, err, tt.want)
			}
		})
	}
}

func TestNewSignerNeedsAPrivateKey(t *testing.T) {
	if _, err := NewSigner(mustKey(t, ES256).Public()); err == nil {
		t.Fatal("NewSigner accepted a public key")
	}
	if _, err := NewSigner(nil); err == nil {
		t.Fatal("NewSigner accepted nil")
	}
}
