package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// systemPython is the interpreter whose Debian packages (python3-jwt,
// python3-fastapi, python3-uvicorn, python3-requests-oauthlib) the interop
// tests use; a python3 earlier on PATH (pyenv, a venv) would not see them.
const systemPython = "/usr/bin/python3"

// interopDepsScript installs everything the interop tests need.
const interopDepsScript = "scripts/interop-deps.sh"

// needInterop fails the test when a dependency is missing under CI=true and
// skips it otherwise, naming the script that installs it.
func needInterop(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := what + " is missing (" + err.Error() + "); run " + interopDepsScript
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// needPython checks that the system Python imports every module.
func needPython(t *testing.T, modules ...string) {
	t.Helper()
	var err error
	if _, err = os.Stat(systemPython); err == nil {
		out, runErr := exec.Command(systemPython, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
		if runErr != nil {
			err = errorString(strings.TrimSpace(string(out)))
		}
	}
	needInterop(t, "Python modules "+strings.Join(modules, ", "), err)
}

// needNodeExample checks for node and the example's installed packages.
func needNodeExample(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(repoRoot, "examples", "node", "node_modules", "jose", "package.json"))
	}
	needInterop(t, "node or examples/node/node_modules (npm ci)", err)
}

type errorString string

func (e errorString) Error() string { return string(e) }
