package password

import (
	"sync"
	"testing"
)

// cheap is a configuration that hashes in microseconds, for tests where
// the argon2id parameters are not what is tested.
var cheap = Config{Memory: 64, Time: 1, Threads: 1, AllowWeak: true}

func newHasher(t testing.TB, cfg Config) *Hasher {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return h
}

// argonCall records one argon2id computation.
type argonCall struct {
	time, memory   uint32
	threads        uint8
	saltLen, keyLn int
}

// recordArgon wraps h's argon2id function and returns the calls it made.
func recordArgon(h *Hasher) func() []argonCall {
	var mu sync.Mutex
	var calls []argonCall
	inner := h.idKey
	h.idKey = func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		mu.Lock()
		calls = append(calls, argonCall{time, memory, threads, len(salt), int(keyLen)})
		mu.Unlock()
		return inner(pw, salt, time, memory, threads, keyLen)
	}
	return func() []argonCall {
		mu.Lock()
		defer mu.Unlock()
		return append([]argonCall(nil), calls...)
	}
}
