package password

import (
	"fmt"
	"runtime"
	"time"
)

// The OWASP minimum for argon2id (Password Storage Cheat Sheet): 19 MiB of
// memory, 2 iterations, 1 lane. New refuses less unless Config.AllowWeak.
const (
	MinMemory  = 19456 // KiB
	MinTime    = 2
	MinThreads = 1
)

// Lengths of what Hash produces.
const (
	saltLen = 16
	keyLen  = 32
)

// Config configures a Hasher. The zero value of a field means its default.
type Config struct {
	// Memory is the argon2id memory in KiB. Default MinMemory.
	Memory uint32
	// Time is the number of argon2id passes. Default MinTime.
	Time uint32
	// Threads is the argon2id parallelism (lanes). Default MinThreads.
	Threads uint8

	// MinLength and MaxLength bound a password's length in bytes.
	// Defaults 8 and 1024.
	MinLength, MaxLength int

	// MaxConcurrent is how many hashes (of any kind) run at once.
	// Default runtime.NumCPU().
	MaxConcurrent int
	// MaxWait is how long a call waits for a free slot before ErrBusy.
	// Default 2s; a negative value means do not wait at all.
	MaxWait time.Duration

	// AllowWeak lets Memory and Time go below the OWASP minimum. For tests
	// only: it makes hashing cheap.
	AllowWeak bool
}

// withDefaults returns c with every zero field set to its default, or an
// error when the result is invalid or (without AllowWeak) weak.
func (c Config) withDefaults() (Config, error) {
	if c.Memory == 0 {
		c.Memory = MinMemory
	}
	if c.Time == 0 {
		c.Time = MinTime
	}
	if c.Threads == 0 {
		c.Threads = MinThreads
	}
	if c.MinLength == 0 {
		c.MinLength = 8
	}
	if c.MaxLength == 0 {
		c.MaxLength = 1024
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = runtime.NumCPU()
	}
	if c.MaxWait == 0 {
		c.MaxWait = 2 * time.Second
	}
	switch {
	case !c.AllowWeak && (c.Memory < MinMemory || c.Time < MinTime):
		return c, fmt.Errorf("password: argon2id m=%d,t=%d is below the OWASP minimum m=%d,t=%d",
			c.Memory, c.Time, MinMemory, MinTime)
	case c.Memory < 8*uint32(c.Threads):
		return c, fmt.Errorf("password: argon2id memory %d KiB is less than 8 KiB per lane", c.Memory)
	case c.Memory > maxArgonMemory || c.Time > maxArgonTime:
		return c, fmt.Errorf("password: argon2id m=%d,t=%d is above the accepted maximum", c.Memory, c.Time)
	case c.MinLength < 0 || c.MaxLength < c.MinLength:
		return c, fmt.Errorf("password: length bounds %d..%d are invalid", c.MinLength, c.MaxLength)
	case c.MaxConcurrent < 0:
		return c, fmt.Errorf("password: MaxConcurrent %d is negative", c.MaxConcurrent)
	}
	return c, nil
}
