package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

const configDoc = "../../docs/configuration.md"

// TestConfigurationDocListsEverySetting keeps docs/configuration.md true:
// every flag of serve, including ones added later, has its row with its
// env twin and file key.
func TestConfigurationDocListsEverySetting(t *testing.T) {
	doc, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	serve, err := serveFlags(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	serve.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		key := "`" + f.Name + "`"
		if f.Name == configFlag {
			key = "—"
		}
		row := fmt.Sprintf("| `--%s` | `%s` | %s |", f.Name, envName(f.Name), key)
		if !strings.Contains(string(doc), row) {
			t.Errorf("docs/configuration.md has no row beginning %s", row)
		}
	})
}

// TestConfigurationDocExamplesLoad loads the example TOML and YAML files
// of docs/configuration.md as `gatehouse serve --config` does, rules
// included.
func TestConfigurationDocExamplesLoad(t *testing.T) {
	doc, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"toml", "yaml"} {
		blocks := regexp.MustCompile("(?s)```"+ext+"\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
		if len(blocks) != 1 {
			t.Fatalf("docs/configuration.md has %d %s examples, want 1", len(blocks), ext)
		}
		path := configFile(t, "gatehouse."+ext, blocks[0][1])
		c, serve, err := serveWithConfig(t, nil, "--config", path)
		if err != nil {
			t.Fatalf("the %s example: %v", ext, err)
		}
		f := serve.Flags()
		for name, want := range map[string]string{
			"db": "sqlite:/var/lib/gatehouse/gatehouse.db", "issuer": "https://auth.example.com", "access-ttl": "10m0s",
			"refresh-idle-ttl": "168h0m0s", "trusted-proxies": "[10.0.0.0/8,192.168.0.0/16]", "log-format": "json", "signup": "false",
		} {
			if got := f.Lookup(name).Value.String(); got != want || c.source(name) != sourceFile {
				t.Errorf("the %s example: %s = %q from %s, want %q from the file", ext, name, got, c.source(name), want)
			}
		}
	}
}
