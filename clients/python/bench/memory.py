"""Measures what a RevocationFeed holds in memory for 1,000,000 live
revocations (half jti, half sid, in Gatehouse's id form, and 1% user
entries), and what a check costs among them:

    /usr/bin/python3 clients/python/bench/memory.py
"""

import base64
import gc
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from gatehouse_client.feed import RevocationFeed  # noqa: E402

N = 1_000_000


def new_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


def main() -> None:
    now = int(time.time())
    entries = [{"kind": "jti" if i % 2 == 0 else "sid", "value": new_id(), "forget_at": now + 960 + i % 900} for i in range(N)]
    entries += [{"kind": "user", "value": new_id(), "issued_before": now, "forget_at": now + 960} for _ in range(N // 100)]
    feed = RevocationFeed.__new__(RevocationFeed)  # the state alone, without a feed to read
    feed._lock = __import__("threading").Lock()
    feed._ids = [{} for _ in range(16)]
    feed._kids, feed._users, feed._ints = {}, {}, {}
    feed._counts = {"jti": 0, "sid": 0}
    feed.max_staleness, feed._clock, feed._last_sync = None, time.time, time.time()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(0, len(entries), 1000):
        feed._add(entries[i:i + 1000])
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    total = len(entries)
    print(f"entries: {total}")
    print(f"held: {held / (1 << 20):.1f} MiB, {held / total:.1f} B/entry (tracemalloc)")
    claims = {"jti": new_id(), "sid": new_id(), "sub": "nobody", "iat": now}
    t = time.perf_counter()
    for _ in range(100_000):
        feed.check(claims)
    print(f"check: {(time.perf_counter() - t) / 100_000 * 1e6:.2f} µs")
    t = time.perf_counter()
    feed._next_shard = 0
    feed._sweep(now, shards=1)
    print(f"sweep of one shard (1/16): {(time.perf_counter() - t) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
