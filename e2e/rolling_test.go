package e2e_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// balancer is the client side of a load balancer, as the common ones
// behave: it sends each request to the next backend whose /readyz last
// answered 200, checking them every 100 ms, and does not retry.
type balancer struct {
	backends []string
	healthy  []atomic.Bool
	next     atomic.Uint64
}

func newBalancer(ctx context.Context, backends ...string) *balancer {
	b := &balancer{backends: backends, healthy: make([]atomic.Bool, len(backends))}
	c := &http.Client{Timeout: time.Second}
	for i, base := range backends {
		go func() {
			for ctx.Err() == nil {
				resp, err := c.Get(base + "/readyz")
				ok := err == nil && resp.StatusCode == http.StatusOK
				if err == nil {
					resp.Body.Close()
				}
				b.healthy[i].Store(ok)
				time.Sleep(100 * time.Millisecond)
			}
		}()
	}
	return b
}

// pick returns the next healthy backend, waiting while none is.
func (b *balancer) pick() string {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for range b.backends {
			i := int(b.next.Add(1) % uint64(len(b.backends)))
			if b.healthy[i].Load() {
				return b.backends[i]
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b.backends[0] // none for 30 s: let the request fail
}

// Two replicas on one PostgreSQL database behind a balancer, under load,
// are restarted one after the other (SIGTERM, then a new process on the
// same address): /readyz turns 503 at SIGTERM, the balancer stops sending
// to the replica during its drain delay, keep-alive connections are
// closed with the last responses, and not one request fails. (A login
// the password hasher sheds under the machine's load, 503 "busy" with
// Retry-After, is counted apart: it is not the restart's doing.)
func TestRollingRestartOfTwoReplicasLosesNoRequest(t *testing.T) {
	db := newPostgresDB(t)
	gatehouseOn(t, db, alicePassword+"\n", "user", "add", "alice", "--password-stdin")
	addrs := []string{freePort(t), freePort(t)}
	start := func(addr string) *proc {
		return startReplica(t, db, "--addr", addr, "--drain-delay", "1s")
	}
	procs := []*proc{start(addrs[0]), start(addrs[1])}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	lb := newBalancer(ctx, "http://"+addrs[0], "http://"+addrs[1])
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}}
	tl := &tally{}
	var wg sync.WaitGroup
	wg.Go(func() { runLoad(ctx, 6, client, lb.pick, "alice", alicePassword, tl) })
	defer wg.Wait()
	okAfter := func(what string, n int64) {
		t.Helper()
		from := tl.ok.Load()
		eventually(t, 60*time.Second, what, func() bool { return tl.ok.Load() >= from+n })
	}
	okAfter("first answers", 50)

	for i, addr := range addrs {
		if code := procs[i].stop(); code != 0 {
			t.Fatalf("replica %d exited %d after SIGTERM", i, code)
		}
		okAfter("answers while one replica is down", 20)
		procs[i] = start(addr)
		eventually(t, 30*time.Second, "the balancer sends to the new replica", func() bool { return lb.healthy[i].Load() })
		okAfter("answers after the restart", 50)
	}
	stop()
	wg.Wait()
	t.Logf("load: %v", tl)
	if f := tl.failures(); len(f) > 0 {
		t.Errorf("requests failed during the rolling restart: %q", f)
	}
	if n := tl.unavailable.Load() + tl.invalidGrant.Load(); n > 0 {
		t.Errorf("%d requests refused during the rolling restart (503 or invalid_grant), want none", n)
	}
}
