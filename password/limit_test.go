package password

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// blockFirst makes h's first argon2id computation wait until the returned
// release is called; entered is closed once that computation has begun
// (and so holds a slot).
func blockFirst(h *Hasher) (entered <-chan struct{}, release func()) {
	in, out := make(chan struct{}), make(chan struct{})
	var n atomic.Int32
	inner := h.idKey
	h.idKey = func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		if n.Add(1) == 1 {
			close(in)
			<-out
		}
		return inner(pw, salt, time, memory, threads, keyLen)
	}
	return in, func() { close(out) }
}

func TestErrBusyWhenEverySlotIsTaken(t *testing.T) {
	cfg := cheap
	cfg.MaxConcurrent = 1
	cfg.MaxWait = time.Millisecond
	h := newHasher(t, cfg)
	encoded, _ := h.Hash(t.Context(), "password")
	entered, release := blockFirst(h)

	first := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "password")
		first <- err
	}()
	<-entered

	if _, err := h.Hash(t.Context(), "password"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash with every slot taken = %v; want ErrBusy", err)
	}
	if _, _, err := h.Verify(t.Context(), "password", encoded); !errors.Is(err, ErrBusy) {
		t.Errorf("Verify with every slot taken = %v; want ErrBusy", err)
	}
	if err := h.VerifyDummy(t.Context(), "password"); !errors.Is(err, ErrBusy) {
		t.Errorf("VerifyDummy with every slot taken = %v; want ErrBusy", err)
	}

	release()
	if err := <-first; err != nil {
		t.Fatalf("the hash holding the slot failed: %v", err)
	}
	if ok, _, err := h.Verify(t.Context(), "password", encoded); !ok || err != nil {
		t.Fatalf("Verify once the slot is free = %v, %v; want true, nil", ok, err)
	}
}

func TestWaitingForASlotEndsWithTheContext(t *testing.T) {
	cfg := cheap
	cfg.MaxConcurrent = 1
	cfg.MaxWait = time.Hour
	h := newHasher(t, cfg)
	entered, release := blockFirst(h)
	defer release()
	go func() { _, _ = h.Hash(context.Background(), "password") }()
	<-entered

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "password")
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with a cancelled context = %v; want ErrBusy and context.Canceled", err)
	}
}

func TestAWaitingCallProceedsWhenASlotFrees(t *testing.T) {
	cfg := cheap
	cfg.MaxConcurrent = 1
	cfg.MaxWait = time.Hour
	h := newHasher(t, cfg)
	entered, release := blockFirst(h)
	go func() { _, _ = h.Hash(context.Background(), "password") }()
	<-entered

	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(t.Context(), "password")
		done <- err
	}()
	release()
	if err := <-done; err != nil {
		t.Fatalf("the waiting Hash = %v; want nil", err)
	}
}
