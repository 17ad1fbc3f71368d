package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestClientCommands(t *testing.T) {
	db := tempDB(t)
	out, stderr, err := run(t, nil, "", "client", "add", "Orders API", "--client-id", "orders-api", "--scope", "orders:read orders:write",
		"--audience", "https://orders.example", "--access-ttl", "5m", "--db", db)
	secret := regexp.MustCompile(`client_secret: (\S+)`).FindStringSubmatch(out)
	if err != nil || !strings.Contains(out, "client_id:     orders-api") || secret == nil || len(secret[1]) != 52 || !strings.Contains(stderr, "Keep the secret") {
		t.Fatalf("client add: %q %q %v", out, stderr, err)
	}
	out, _, err = run(t, nil, "", "client", "add", "spa", "--public", "--db", db)
	if err != nil || !strings.Contains(out, "(none: public client)") {
		t.Fatalf("client add --public: %q, %v", out, err)
	}
	out, _, err = run(t, nil, "", "client", "show", "orders-api", "--db", db)
	if err != nil || !strings.Contains(out, "orders:read orders:write") || !strings.Contains(out, "https://orders.example") ||
		!strings.Contains(out, "5m0s") || strings.Contains(out, secret[1]) {
		t.Fatalf("client show: %q, %v", out, err)
	}
	out, _, err = run(t, nil, "", "client", "list", "--db", db)
	if err != nil || !regexpLine(out, "orders-api", "confidential", "orders:read") || !regexpLine(out, "spa", "public") {
		t.Fatalf("client list:\n%s", out)
	}
	out, _, err = run(t, nil, "", "client", "rotate-secret", "orders-api", "--db", db)
	fresh := regexp.MustCompile(`client_secret: (\S+)`).FindStringSubmatch(out)
	if err != nil || fresh == nil || fresh[1] == secret[1] {
		t.Fatalf("rotate-secret: %q, %v", out, err)
	}
	for _, args := range [][]string{
		{"client", "add", "x", "--client-id", "orders-api"},
		{"client", "add", "x", "--client-id", "gatehouse"},
		{"client", "add", "x", "--client-id", "a b"},
		{"client", "add", "x", "--access-ttl", "48h"},
		{"client", "add", "x", "--scope", "a  b"},
		{"client", "show", "nobody"},
		{"client", "rotate-secret", "nobody"},
		{"client", "rotate-secret", "spa"},
		{"client", "delete", "nobody"},
	} {
		if _, _, err := run(t, nil, "", append(args, "--db", db)...); err == nil {
			t.Errorf("gatehouse %q succeeded", args)
		}
	}
	out, _, err = run(t, nil, "", "client", "delete", "orders-api", "--db", db)
	if err != nil || !strings.Contains(out, "client orders-api deleted, 0 session(s) ended") {
		t.Fatalf("client delete: %q, %v", out, err)
	}
	if _, _, err := run(t, nil, "", "client", "show", "orders-api", "--db", db); err == nil {
		t.Error("a deleted client is still shown")
	}
}
