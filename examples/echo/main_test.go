package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/guard/guardtest"
)

func TestOrdersNeedATokenWithTheScopeAndReadItsClaims(t *testing.T) {
	iss := guardtest.NewIssuer(t, "orders-api")
	api := httptest.NewServer(routes(iss.Verifier(t)))
	defer api.Close()

	if code, _ := guardtest.Get(t, api.URL+"/orders", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := guardtest.Get(t, api.URL+"/orders", "not.a.token"); code != http.StatusUnauthorized {
		t.Errorf("a bad token: %d, want 401", code)
	}
	// The handler must not run: a 403 with the orders after it would leak them.
	if code, body := guardtest.Get(t, api.URL+"/orders", iss.Token(t, "user-1", "orders:write")); code != http.StatusForbidden || strings.Contains(body, "orders") {
		t.Errorf("a token without orders:read: %d %q, want 403 and no orders", code, body)
	}
	code, body := guardtest.Get(t, api.URL+"/orders", iss.Token(t, "user-42", "orders:read"))
	if code != http.StatusOK || !strings.Contains(body, `"subject":"user-42"`) {
		t.Errorf("a token with orders:read: %d %s, want 200 naming user-42", code, body)
	}
	// Each route has its own scope.
	if code, _ := guardtest.Do(t, http.MethodPost, api.URL+"/orders", iss.Token(t, "user-42", "orders:read")); code != http.StatusForbidden {
		t.Errorf("POST with orders:read only: %d, want 403", code)
	}
	if code, body := guardtest.Do(t, http.MethodPost, api.URL+"/orders", iss.Token(t, "user-7", "orders:write")); code != http.StatusCreated || !strings.Contains(body, `"subject":"user-7"`) {
		t.Errorf("POST with orders:write: %d %s, want 201 naming user-7", code, body)
	}
}
