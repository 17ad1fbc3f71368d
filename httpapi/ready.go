package httpapi

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// readyCacheFor is how long a readiness answer is reused: /readyz may be
// polled by every load balancer and orchestrator each second, and the
// check writes (docs/failures.md).
const readyCacheFor = time.Second

// readyTimeout bounds one readiness check.
const readyTimeout = 2 * time.Second

// readiness runs the check behind /readyz at most once per readyCacheFor;
// concurrent requests wait for the one check in flight and share its
// answer.
type readiness struct {
	check func(context.Context) error
	now   func() time.Time

	mu      sync.Mutex
	at      time.Time
	lastErr error

	// wasReady is the last answer given, so that a change is logged
	// once. A server starts ready: its first check ran at start.
	wasReady atomic.Bool
}

func (rd *readiness) get(ctx context.Context) error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if now := rd.now(); !rd.at.IsZero() && now.Sub(rd.at) < readyCacheFor && now.Sub(rd.at) >= 0 {
		return rd.lastErr
	}
	// The check is shared by whoever waits: a caller that goes away does
	// not fail it for the others.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	rd.lastErr = rd.check(cctx)
	rd.at = rd.now()
	return rd.lastErr
}

// draining reports whether the server is draining (Config.Draining is
// closed).
func (s *server) draining() bool {
	if s.drain == nil {
		return false
	}
	select {
	case <-s.drain:
		return true
	default:
		return false
	}
}

// closeWhenDraining asks the client to close its connection after each
// response once the server drains: a keep-alive client then reconnects
// (through its load balancer, to another replica) instead of sending its
// next request on a connection about to close.
func (s *server) closeWhenDraining(next http.Handler) http.Handler {
	if s.drain == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
