package e2e_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// quickstartFile holds the README quickstart, command for command. The test
// runs it as written, with two adaptations only: the build line copies the
// binary TestMain built, and 127.0.0.1:8080 becomes a free port.
const quickstartFile = "testdata/quickstart.sh"

const (
	quickstartBuild = "go build -o gatehouse ./cmd/gatehouse"
	quickstartServe = "./gatehouse serve"
	quickstartAddr  = "127.0.0.1:8080"
)

func TestQuickstart(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the quickstart needs %s on PATH: %v", tool, err)
		}
	}
	src, err := os.ReadFile(quickstartFile)
	if err != nil {
		t.Fatal(err)
	}
	var script []string
	sawBuild, sawServe := false, false
	for line := range strings.SplitSeq(string(src), "\n") {
		switch strings.TrimSpace(line) {
		case quickstartBuild:
			sawBuild = true
		case quickstartServe:
			sawServe = true
		default:
			script = append(script, line)
		}
	}
	if !sawBuild || !sawServe {
		t.Fatalf("%s lost its %q or %q line", quickstartFile, quickstartBuild, quickstartServe)
	}

	// A fresh directory, as after a clone: the binary, no database.
	dir := t.TempDir()
	bin, err := os.ReadFile(gatehouseBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gatehouse"), bin, 0o755); err != nil {
		t.Fatal(err)
	}

	// Terminal 1: `./gatehouse serve` with no flags, on a free port given by
	// the env twin of --addr, its database the default ./gatehouse.db.
	srv := startProcIn(t, dir, []string{"GATEHOUSE_ADDR=127.0.0.1:0"}, filepath.Join(dir, "gatehouse"), "serve")
	if _, err := os.Stat(filepath.Join(dir, "gatehouse.db")); err != nil {
		t.Fatalf("serve did not create ./gatehouse.db: %v", err)
	}

	// Terminal 2: every other line, verbatim but for the port.
	body := strings.ReplaceAll(strings.Join(script, "\n"), quickstartAddr, srv.addr)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", body)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("quickstart failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	got := out.String()
	if !strings.Contains(got, `"preferred_username":"alice"`) {
		t.Errorf("the protected route did not answer for alice:\n%s", got)
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if last := lines[len(lines)-1]; last != "401" {
		t.Errorf("after logout the access token got %q, want 401:\n%s", last, got)
	}
}

// TestReadmeQuickstartMatchesTheTestedOne keeps the README's quickstart and
// the one TestQuickstart runs the same.
func TestReadmeQuickstartMatchesTheTestedOne(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bytes.ToLower(readme), []byte("## quickstart")) {
		t.Fatal("README.md has no Quickstart section")
	}
	src, err := os.ReadFile(quickstartFile)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(src), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !bytes.Contains(readme, []byte(line)) {
			t.Errorf("README.md quickstart lacks the tested command:\n%s", line)
		}
	}
}
