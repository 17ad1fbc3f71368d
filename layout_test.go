package gatehouse_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportsPointInward keeps the layout of the README: the domain at the
// centre, adapters at the edge, cmd on top. Each package imports only the
// packages of this module listed for it (standard library and third-party
// imports are not checked here; guard has its own, stricter test).
func TestImportsPointInward(t *testing.T) {
	const mod = "github.com/gatehouse/gatehouse"
	allowed := map[string][]string{
		"":                {},
		"token":           {""},
		"password":        {""},
		"audit":           {""},
		"ratelimit":       {""},
		"guard":           {"", "token"},
		"guard/guardprom": {"guard"},
		"session":         {"", "audit", "token"},
		"account":         {"", "audit", "password", "ratelimit", "session"},
		"clients":         {"", "audit", "password", "ratelimit"},
		"store/sqlite":    {""},
		"store/postgres":  {""},
		"store/storetest": {""},
		"httpapi":         {"", "account", "audit", "clients", "guard", "password", "ratelimit", "session", "token"},
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], mod), "/")
		want, checked := allowed[pkg]
		if !checked {
			continue // cmd, tests' helpers, examples, benchmarks: on top
		}
		seen[pkg] = true
		for _, imp := range fields[1:] {
			if imp != mod && !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, mod), "/")
			if !slices.Contains(want, dep) {
				t.Errorf("%s imports %s; it may import only %q of this module", fields[0], imp, want)
			}
		}
	}
	for pkg := range allowed {
		if !seen[pkg] {
			t.Errorf("package %q of the layout not found", pkg)
		}
	}
}
