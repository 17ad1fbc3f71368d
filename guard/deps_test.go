package guard

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesStayOutOfTheServer keeps guard importable by an API without
// pulling in the server, the stores or their drivers: it may depend only on
// the standard library, the root package, token and golang.org/x modules.
func TestDependenciesStayOutOfTheServer(t *testing.T) {
	const module = "github.com/gatehouse/gatehouse"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{"httpapi", "session", "store", "password", "ratelimit", "cmd"}
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		path, std, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch {
		case std == "true":
		case path == module, path == module+"/token", path == module+"/guard":
		case strings.HasPrefix(path, module+"/"):
			rest := strings.TrimPrefix(path, module+"/")
			for _, f := range forbidden {
				if rest == f || strings.HasPrefix(rest, f+"/") {
					t.Errorf("guard depends on %s, a package of the server or the stores", path)
				}
			}
			if !strings.HasPrefix(rest, "token/") {
				t.Errorf("guard depends on %s; it may use only the root package and token", path)
			}
		case strings.HasPrefix(path, "golang.org/x/"):
		default:
			t.Errorf("guard depends on %s, outside the standard library, the module's root and token, and golang.org/x", path)
		}
	}
}
