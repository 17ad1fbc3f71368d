package postgres

import (
	"context"
	"testing"
)

func TestProbeWriteSucceedsOnAWritableDatabase(t *testing.T) {
	s := newTestStore(t)
	if err := s.ProbeWrite(context.Background()); err != nil {
		t.Fatalf("ProbeWrite: %v", err)
	}
}
