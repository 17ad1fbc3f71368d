package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedis returns a client of the Redis at 127.0.0.1:6379 and a key
// prefix of the test's own; the test's keys are deleted at its end. Without
// Redis the test is skipped, unless CI is set: then it fails.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", MaxRetries: -1, DialTimeout: time.Second})
	if err := client.Ping(t.Context()).Err(); err != nil {
		client.Close()
		if os.Getenv("CI") == "" {
			t.Skipf("no Redis at 127.0.0.1:6379 (%v); CI=true makes this a failure", err)
		}
		t.Fatalf("Redis at 127.0.0.1:6379: %v", err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix := "gatehouse-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx := context.Background() // t.Context is done by now
		keys, err := client.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = client.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("cleaning up %s*: %v", prefix, err)
		}
	})
	return client, prefix
}

func TestRedisBackend(t *testing.T) {
	client, prefix := testRedis(t)
	r := NewRedis(client, prefix)
	ctx := t.Context()
	a := Reservation{Count: "a", Block: "a-block", Window: time.Minute}
	b := Reservation{Count: "b", Block: "b-block", Window: time.Hour}
	if na, nb := reserve(t, r, a).N, reserve(t, r, b).N; na != 1 || nb != 1 {
		t.Fatalf("first counts = %d, %d; want 1, 1", na, nb)
	}
	a.Window = 2 * time.Minute
	if n := reserve(t, r, a).N; n != 2 {
		t.Fatalf("second count of a = %d; want 2", n)
	}
	if err := r.Set(ctx, "c", 7, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	e, err := r.Get(ctx, "a", "b", "c", "missing")
	if err != nil {
		t.Fatal(err)
	}
	if e[0].Value != 2 || e[0].TTL <= time.Minute || e[0].TTL > 2*time.Minute {
		t.Errorf("a = %+v; want 2 with the expiry of the last count", e[0])
	}
	if e[1].Value != 1 || e[2].Value != 7 || e[2].TTL > 1500*time.Millisecond || e[3] != (Entry{}) {
		t.Errorf("Get = %+v", e)
	}
	if err := r.Del(ctx, "a", "c", "missing"); err != nil {
		t.Fatal(err)
	}
	e, _ = r.Get(ctx, "a", "b", "c")
	if e[0] != (Entry{}) || e[1].Value != 1 || e[2] != (Entry{}) {
		t.Errorf("Get after Del = %+v", e)
	}
	if keys, _ := client.Keys(ctx, prefix+"*").Result(); len(keys) != 1 || keys[0] != prefix+"b" {
		t.Errorf("keys %v; want only %sb", keys, prefix)
	}
}

func TestTwoReplicasSharingRedisCountFailuresTogether(t *testing.T) {
	client, prefix := testRedis(t)
	// Each replica has its own client, as two processes would.
	other := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer other.Close()
	// Redis keeps time on its own clock: a first delay of a minute outlasts
	// the test.
	cfg := Config{BaseDelay: time.Minute, Logger: slog.New(slog.DiscardHandler)}
	a := New(NewRedis(client, prefix), cfg)
	b := New(NewRedis(other, prefix), cfg)
	ip := "198.51.100.7"

	// Four failures, alternating replicas, and the owner's login in flight
	// on B: all free.
	for i := range 4 {
		wantAllowed(t, guess(t, []*Throttle{a, b}[i%2], "alice", ip))
	}
	d, owner := reserveLogin(t, b, "alice", ip)
	wantAllowed(t, d)
	// The sixth, on A, earns a delay that B enforces.
	wantAllowed(t, guess(t, a, "alice", ip))
	d = decide(t, b, "alice", ip)
	if d.Allowed || d.Reason != ReasonPair || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
		t.Fatalf("replica B after six attempts across A and B: %+v; want refused for at most a minute", d)
	}
	// The success on B resets the pair for A too.
	if err := owner.Succeeded(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantAllowed(t, decide(t, a, "alice", ip))

	// The known address recorded by B protects the owner on A.
	for i := range 11 {
		guess(t, []*Throttle{a, b}[i%2], "alice", fmt.Sprintf("192.0.2.%d", i))
	}
	if d := decide(t, a, "alice", "192.0.2.100"); d.Allowed || d.Reason != ReasonAccount {
		t.Fatalf("an unknown address on A: %+v; want refused for the account", d)
	}
	wantAllowed(t, decide(t, a, "alice", ip))
	if s := a.Stats(); s.Fallback || s.BackendErrors != 0 {
		t.Fatalf("replica A fell back: %+v", s)
	}

	keys, err := client.Keys(t.Context(), prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	for _, k := range keys {
		if strings.Contains(k, "alice") || strings.Contains(k, "198.51") || strings.Contains(k, "192.0") {
			t.Errorf("Redis key %q reveals an account or address", k)
		}
	}
}

func TestRedisKeepsTheReservationContract(t *testing.T) {
	testReservations(t, func(t *testing.T) Backend {
		client, prefix := testRedis(t)
		return NewRedis(client, prefix)
	})
}

func TestParallelGuessesOnTwoReplicasAreAdmittedAsOnOne(t *testing.T) {
	client, prefix := testRedis(t)
	other := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer other.Close()
	cfg := Config{BaseDelay: time.Minute, BackendTimeout: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)}
	replicas := []*Throttle{New(NewRedis(client, prefix), cfg), New(NewRedis(other, prefix), cfg)}
	var admitted atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			<-start
			d, a, err := replicas[i%2].Reserve(t.Context(), "alice", "198.51.100.7")
			if err != nil {
				t.Error(err)
			}
			if d.Allowed {
				admitted.Add(1)
			}
			if err := a.Failed(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := admitted.Load(); n != 6 {
		t.Fatalf("%d of 60 guesses spread over two replicas admitted; want 6, as on one", n)
	}
	for _, r := range replicas {
		if s := r.Stats(); s.BackendErrors != 0 {
			t.Fatalf("a replica fell back: %+v", s)
		}
	}
}
