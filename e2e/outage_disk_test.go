package e2e_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// smallDisk mounts a tmpfs of size bytes for the test's files, unmounted
// when the test ends (after the processes using it stopped). It needs the
// right to mount: without it the test skips, except under CI=true.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		unavailable(t, "a tmpfs mount (for a disk that fills up)", errors.New(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file at path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	// The last pages a partial write may have left.
	for {
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
}

// The SQLite file's disk fills up under load: writes answer 503 with
// Retry-After (never 500), /readyz turns 503 so a load balancer stops
// sending traffic, and both recover once space returns, without a
// restart.
func TestSQLiteDiskFullUnderLoad(t *testing.T) {
	dir := smallDisk(t, "16m")
	db := filepath.Join(dir, "gatehouse.db")
	gatehouse(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	gh := startGatehouse(t, db, "127.0.0.1:0", "--db-timeout", "2s")
	base := gh.url()
	client := &http.Client{Timeout: 20 * time.Second}
	tl := &tally{}
	load := startLoad(t, 4, client, func() string { return base }, tl)
	load.okAfter("first answers", 20)

	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	eventually(t, 30*time.Second, "/readyz 503 on a full disk", func() bool { return status(base, "/readyz") == http.StatusServiceUnavailable })
	// The rotations (writes) cannot commit: 503s, whatever SQLite had
	// spare when the disk filled.
	unavailable := tl.unavailable.Load()
	eventually(t, 60*time.Second, "writes answer 503 on a full disk", func() bool { return tl.unavailable.Load() > unavailable+10 })

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "/readyz 200 once space returns", func() bool { return status(base, "/readyz") == http.StatusOK })
	load.okAfter("answers once space returns", 20)
	load.stop()
	t.Logf("load: %v", tl)
	if f := tl.failures(); len(f) > 0 {
		t.Errorf("requests failed while the disk was full (want only 200, 503 with Retry-After, invalid_grant): %q", f)
	}
	if countLines(gh.logs.String(), `"store unavailable"`, `"cause":"disk_full"`) == 0 {
		t.Errorf("no store failure logged as disk_full:\n%s", gh.logs.String())
	}
	if n := countLines(gh.logs.String(), `"request failed"`); n > 0 {
		t.Errorf("%d requests logged as failed (500):\n%s", n, gh.logs.String())
	}
}
