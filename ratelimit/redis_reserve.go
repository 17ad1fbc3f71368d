package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The scripts behind Reserve, Refund and Restart: each touches only the two
// keys of one Reservation, which share a hash tag, so each is one atomic
// step on one node of a cluster too. go-redis runs them with EVALSHA.

// reserveScript: KEYS count, block; ARGV window ms, force (1 or 0), free,
// then the steps in ms. Returns {1, n} when counted, {0, ms left} when not.
var reserveScript = redis.NewScript(`
if ARGV[2] == '0' then
  local left = redis.call('PTTL', KEYS[2])
  if left > 0 then return {0, left} end
end
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local k = n - tonumber(ARGV[3])
local steps = #ARGV - 3
if k > 0 and steps > 0 then
  if k > steps then k = steps end
  redis.call('SET', KEYS[2], n, 'PX', ARGV[3 + k])
end
return {1, n}`)

// refundScript: KEYS count, block; ARGV n.
var refundScript = redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]))
if v and v > 1 then
  redis.call('DECR', KEYS[1])
elseif v then
  redis.call('DEL', KEYS[1])
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 0`)

// restartScript: KEYS block; ARGV n, wait ms.
var restartScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

func (r *Redis) Reserve(ctx context.Context, res Reservation) (Result, error) {
	force := 0
	if res.Force {
		force = 1
	}
	args := make([]any, 0, 3+len(res.Steps))
	args = append(args, millis(res.Window), force, res.Free)
	for _, s := range res.Steps {
		args = append(args, millis(s))
	}
	v, err := reserveScript.Run(ctx, r.client, []string{r.prefix + res.Count, r.prefix + res.Block}, args...).Int64Slice()
	if err == nil && len(v) != 2 {
		err = fmt.Errorf("unexpected reply %v", v)
	}
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis reserve: %w", err)
	}
	if v[0] == 0 {
		return Result{Wait: time.Duration(v[1]) * time.Millisecond}, nil
	}
	return Result{Allowed: true, N: v[1], Wait: res.Wait(v[1])}, nil
}

func (r *Redis) Refund(ctx context.Context, res Reservation, n int64) error {
	keys := []string{r.prefix + res.Count, r.prefix + res.Block}
	if err := refundScript.Run(ctx, r.client, keys, strconv.FormatInt(n, 10)).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis refund: %w", err)
	}
	return nil
}

func (r *Redis) Restart(ctx context.Context, res Reservation, n int64, wait time.Duration) error {
	keys := []string{r.prefix + res.Block}
	if err := restartScript.Run(ctx, r.client, keys, strconv.FormatInt(n, 10), millis(wait)).Err(); err != nil {
		return fmt.Errorf("ratelimit: redis restart: %w", err)
	}
	return nil
}

// millis is d in whole milliseconds, rounded up, at least 1: what PX and
// PEXPIRE take.
func millis(d time.Duration) int64 {
	return max(1, int64((d+time.Millisecond-1)/time.Millisecond))
}
