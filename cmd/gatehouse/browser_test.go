package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestBrowserModeFlagsHaveEnvTwins(t *testing.T) {
	serve, err := serveFlags(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, def := range map[string]string{"cors-origins": "[]", "dev-cookies": "false"} {
		if f := serve.Flags().Lookup(name); f == nil || f.Value.String() != def {
			t.Errorf("--%s: %v, want default %q", name, f, def)
		}
	}
	out, _, err := run(t, nil, "", "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"GATEHOUSE_CORS_ORIGINS", "GATEHOUSE_DEV_COOKIES"} {
		if !strings.Contains(out, name) {
			t.Errorf("serve --help does not mention %s", name)
		}
	}
	serve, err = serveFlags(t, map[string]string{"GATEHOUSE_CORS_ORIGINS": "http://127.0.0.1:8082 https://app.example", "GATEHOUSE_DEV_COOKIES": "true"})
	if err != nil {
		t.Fatal(err)
	}
	origins, _ := serve.Flags().GetStringSlice("cors-origins")
	if got := splitList(origins); len(got) != 2 || got[0] != "http://127.0.0.1:8082" || got[1] != "https://app.example" {
		t.Errorf("cors-origins from the env = %q, want the two origins", got)
	}
	if dev, _ := serve.Flags().GetBool("dev-cookies"); !dev {
		t.Error("dev-cookies from the env = false")
	}
}

func TestServeRefusesUnsafeBrowserSettings(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "g.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--dev-cookies", "--issuer", "https://auth.example.com"}, "loopback"},
		{[]string{"--dev-cookies", "--addr", "0.0.0.0:0", "--issuer", "http://192.0.2.1:8080"}, "loopback"},
		{[]string{"--cors-origins", "*"}, "wildcards are not allowed"},
		{[]string{"--cors-origins", "https://app.example/"}, "scheme://host[:port]"},
	} {
		args := append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, tc.args...)
		_, _, err := run(t, nil, "", args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error about %q", tc.args, err, tc.want)
		}
	}
}
