package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestProbeWriteSucceedsAndLeavesNothingBehind(t *testing.T) {
	dir := t.TempDir()
	s := openMigrated(t, filepath.Join(dir, "gatehouse.db"))
	before, _ := os.ReadDir(dir)
	for range 3 {
		if err := s.ProbeWrite(context.Background()); err != nil {
			t.Fatalf("ProbeWrite: %v", err)
		}
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Errorf("the probe left files: %v, before %v", after, before)
	}
}
