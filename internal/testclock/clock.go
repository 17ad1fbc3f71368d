// Package testclock is the settable clock the tests inject wherever the
// code takes a Now func() time.Time: expiry tests move it instead of
// sleeping. Test code only.
package testclock

import (
	"sync"
	"time"
)

// Clock is a clock that stands still until moved. It is safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock reading t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t, which must not be before its time: a clock
// never goes back.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.t) {
		panic("testclock: Set would move the clock back")
	}
	c.t = t
}
