package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Backend on a Redis server (or cluster) shared by replicas.
// Every key starts with the prefix given to NewRedis.
//
// Give the client short timeouts (DialTimeout, DialerRetries, ReadTimeout,
// or ContextTimeoutEnabled so that the Throttle's Config.BackendTimeout
// bounds reads too): a login waits for Redis before it falls back to local
// counters.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

var _ Backend = (*Redis)(nil)

// NewRedis returns a Backend that keeps its keys under prefix in client.
// The prefix must not contain '{' or '}': the keys carry their own Redis
// Cluster hash tags, and a brace in the prefix would change which part of
// a key is hashed.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

func (r *Redis) Get(ctx context.Context, keys ...string) ([]Entry, error) {
	type pair struct {
		val *redis.StringCmd
		ttl *redis.DurationCmd
	}
	cmds := make([]pair, len(keys))
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = pair{p.Get(ctx, r.prefix+k), p.PTTL(ctx, r.prefix+k)}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("ratelimit: redis get: %w", err)
	}
	out := make([]Entry, len(keys))
	for i, c := range cmds {
		v, err := c.val.Int64()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ratelimit: redis get: %w", err)
		}
		// PTTL is negative for a missing key or one without expiry; the
		// latter is not something this package writes.
		if ttl := c.ttl.Val(); ttl > 0 {
			out[i] = Entry{Value: v, TTL: ttl}
		}
	}
	return out, nil
}

func (r *Redis) Set(ctx context.Context, key string, value int64, ttl time.Duration) error {
	if err := r.client.Set(ctx, r.prefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis set: %w", err)
	}
	return nil
}

func (r *Redis) Del(ctx context.Context, keys ...string) error {
	// One DEL per key: on a cluster the keys may live on different nodes.
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Del(ctx, r.prefix+k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ratelimit: redis del: %w", err)
	}
	return nil
}
