package password

import (
	"context"
	"crypto/rand"

	"golang.org/x/crypto/argon2"
)

// Hasher hashes and verifies passwords. It is safe for concurrent use; one
// Hasher per process, so that its bound on concurrent hashes holds.
type Hasher struct {
	cfg     Config
	slots   chan struct{} // a token per running hash
	dummy   *argon2Hash   // what VerifyDummy checks against
	metrics *hashMetrics

	// idKey is argon2.IDKey; tests wrap it to observe the computations.
	idKey func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
}

// New returns a Hasher for cfg (zero fields take their defaults). It fails
// when the parameters are below the OWASP minimum without cfg.AllowWeak,
// or otherwise invalid.
func New(cfg Config) (*Hasher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Hasher{
		cfg:     cfg,
		slots:   make(chan struct{}, cfg.MaxConcurrent),
		metrics: newHashMetrics(),
		idKey:   argon2.IDKey,
	}
	// The dummy hash has the current parameters and random salt and tag:
	// no password matches it, and checking one costs a real verification.
	h.dummy = &argon2Hash{
		memory:  cfg.Memory,
		time:    cfg.Time,
		threads: cfg.Threads,
		salt:    randomBytes(saltLen),
		key:     randomBytes(keyLen),
	}
	return h, nil
}

// Config returns the configuration in effect, defaults filled in.
func (h *Hasher) Config() Config { return h.cfg }

// CheckPolicy reports whether pw may be set as a password: ErrTooShort or
// ErrTooLong, or nil. It does no hashing; call it before Hash to answer
// a bad request cheaply.
func (h *Hasher) CheckPolicy(pw string) error {
	switch {
	case len(pw) > h.cfg.MaxLength:
		return ErrTooLong
	case len(pw) < h.cfg.MinLength:
		return ErrTooShort
	}
	return nil
}

// Hash returns the argon2id PHC string of pw at the current parameters,
// with a fresh random salt. It returns CheckPolicy's error before any
// hashing, and ErrBusy when no hashing slot frees up in time.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.CheckPolicy(pw); err != nil {
		return "", err
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	a := &argon2Hash{
		memory:  h.cfg.Memory,
		time:    h.cfg.Time,
		threads: h.cfg.Threads,
		salt:    randomBytes(saltLen),
	}
	a.key = a.derive(h, []byte(pw), keyLen)
	return a.String(), nil
}

// randomBytes returns n bytes from crypto/rand, which never fails.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
