"""Following Gatehouse's revocation feed (docs/revocation.md) in a
background thread, and holding what is still in force in memory."""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

from ._http import HTTPStatusError, check_url, get_json

log = logging.getLogger("gatehouse_client")

#: How long one long poll waits for an entry, in seconds. A healthy feed's
#: staleness stays below it.
DEFAULT_WAIT = 15.0
_BACKOFF_MIN, _BACKOFF_MAX = 0.25, 5.0
_MAX_BODY = 8 << 20
_SHARDS = 16
_KINDS = ("jti", "sid", "user", "kid")


class TokenRevoked(Exception):
    """A revocation-feed entry matches the token."""


class FeedStale(Exception):
    """The feed has not answered for longer than max_staleness: tokens are
    refused rather than checked against a state that old."""


class FeedError(Exception):
    """The feed could not be read, or answered with something it must not."""


class RevocationFeed:
    """Follows the revocation feed of the Gatehouse at ``issuer`` as the
    confidential client ``client_id`` and keeps in memory the entries still
    in force: revoked access tokens (jti), sessions (sid), users' tokens
    issued before a time, and signing keys (kid).

    The constructor reads the whole feed before it returns (and raises
    FeedError if it cannot); then a daemon thread long-polls it. When the
    feed cannot be reached the last state is kept, the thread retries with
    backoff (0.25 s doubling to 5 s) and ``staleness()`` grows; with
    ``max_staleness`` (seconds), ``check`` then raises FeedStale for every
    token. Entries are dropped once past their forget_at.

    Memory: jti and sid values in Gatehouse's id form are kept as 16-byte
    keys, forget times are shared between entries with the same one; see
    docs/benchmarks.md for the footprint of a million entries.
    """

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        *,
        feed_url: Optional[str] = None,
        wait: float = DEFAULT_WAIT,
        max_staleness: Optional[float] = None,
        allow_insecure_http: bool = False,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        start: bool = True,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("the revocation feed needs a client id and secret")
        self.url = feed_url or issuer.rstrip("/") + "/revocations"
        check_url(self.url, allow_insecure_http)
        if max_staleness is not None:
            # A long poll answers at least every wait: keep a healthy feed
            # well inside the staleness allowed.
            wait = max(min(wait, max_staleness / 2), 1.0)
        self.wait = wait
        self.max_staleness = max_staleness
        self._clock = clock
        self._timeout = timeout
        cred = urllib.parse.quote_plus(client_id) + ":" + urllib.parse.quote_plus(client_secret)
        self._auth = "Basic " + base64.b64encode(cred.encode()).decode()  # RFC 6749 §2.3.1

        self._lock = threading.Lock()  # writers: the polling and sweeping threads
        self._ids: List[Dict[Any, int]] = [{} for _ in range(_SHARDS)]  # jti and sid
        self._kids: Dict[str, int] = {}
        self._users: Dict[str, Tuple[int, int]] = {}  # user id → (issued_before, forget_at)
        self._ints: Dict[int, int] = {}  # one int object per forget time
        self._counts = {"jti": 0, "sid": 0}  # jti and sid entries held
        self._next_shard = 0
        self._unknown_logged: Set[str] = set()

        self.cursor = 0
        self.resyncs = 0
        self.failures = 0
        self._last_sync = 0.0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

        while self._poll(0.0):  # the whole feed, page by page
            pass
        if start:
            self._thread = threading.Thread(target=self._run, name="gatehouse-revocation-feed", daemon=True)
            self._thread.start()
            self._sweeper = threading.Thread(target=self._sweep_loop, name="gatehouse-feed-sweeper", daemon=True)
            self._sweeper.start()

    # -- what verifiers ask ------------------------------------------------

    def staleness(self) -> float:
        """Seconds since the feed last answered."""
        return max(0.0, self._clock() - self._last_sync)

    def check(self, claims: Mapping[str, Any], kid: str = "") -> None:
        """Raises FeedStale past max_staleness, TokenRevoked if an entry
        matches the verified claims (their jti, sid, signing key, or user
        with an iat before the user's mark)."""
        if self.max_staleness is not None and self.staleness() > self.max_staleness:
            raise FeedStale(f"revocation feed silent for {self.staleness():.0f} s")
        if self._has_id("jti", claims.get("jti")) or self._has_id("sid", claims.get("sid")) or self.kid_revoked(kid):
            raise TokenRevoked("revoked")
        mark = self._users.get(claims.get("sub", "")) if isinstance(claims.get("sub"), str) else None
        if mark is not None:
            iat = claims.get("iat")
            if not isinstance(iat, (int, float)) or iat < mark[0]:
                raise TokenRevoked("revoked: the user's tokens issued before this one's iat")

    def kid_revoked(self, kid: Optional[str]) -> bool:
        """Whether the signing key kid is revoked."""
        return bool(kid) and kid in self._kids

    def stats(self) -> Dict[str, Any]:
        """Staleness, entries held by kind, cursor, resyncs and failures."""
        with self._lock:
            counts = {**self._counts, "user": len(self._users), "kid": len(self._kids)}
        return {"staleness": self.staleness(), "entries": counts, "cursor": self.cursor,
                "resyncs": self.resyncs, "failures": self.failures}

    def metrics_text(self) -> str:
        """The feed's gauges in the Prometheus text format, named as guard's."""
        st = self.stats()
        p = "gatehouse_guard_revocation_feed_"
        lines = [f"# TYPE {p}staleness_seconds gauge", f"{p}staleness_seconds {st['staleness']:.3f}",
                 f"# TYPE {p}entries gauge"]
        lines += [f'{p}entries{{kind="{k}"}} {n}' for k, n in sorted(st["entries"].items())]
        lines += [f"# TYPE {p}cursor gauge", f"{p}cursor {st['cursor']}",
                  f"# TYPE {p}resyncs_total counter", f"{p}resyncs_total {st['resyncs']}",
                  f"# TYPE {p}failures_total counter", f"{p}failures_total {st['failures']}"]
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        """Stops following the feed (the state stays as it was)."""
        self._stop.set()

    # -- the state ---------------------------------------------------------

    @staticmethod
    def _key(kind: str, value: str) -> Any:
        # Gatehouse ids are 22 characters of base64url (128 bits): kept as
        # 17 bytes (a kind byte and the id), else as (kind, value).
        if len(value) == 22:
            try:
                raw = base64.urlsafe_b64decode(value + "==")
            except ValueError:
                raw = b""
            if len(raw) == 16 and base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == value:
                return (b"\x00" if kind == "jti" else b"\x01") + raw
        return (kind, value)

    @staticmethod
    def _kind_of(key: Any) -> str:
        if isinstance(key, tuple):
            return str(key[0])
        return "jti" if key[0] == 0 else "sid"

    def _has_id(self, kind: str, value: Any) -> bool:
        if not isinstance(value, str) or not value:
            return False
        k = self._key(kind, value)
        return k in self._ids[hash(k) % _SHARDS]

    def _add(self, entries: List[Dict[str, Any]]) -> None:
        with self._lock:
            for e in entries:
                kind, value = e["kind"], e["value"]
                forget = self._ints.setdefault(e["forget_at"], e["forget_at"])
                if kind in ("jti", "sid"):
                    k = self._key(kind, value)
                    shard = self._ids[hash(k) % _SHARDS]
                    held = shard.get(k)
                    if held is None:
                        self._counts[kind] += 1
                    shard[k] = forget if held is None or forget > held else held
                elif kind == "kid":
                    self._kids[value] = max(self._kids.get(value, 0), forget)
                elif kind == "user":
                    before, f = self._users.get(value, (0, 0))
                    self._users[value] = (max(before, e["issued_before"]), max(f, forget))

    def _sweep(self, now: float, shards: int = 1) -> None:
        """Drops entries past their forget time: shards of the jti and sid
        maps (one at a time keeps each pass short), and all kid and user
        entries, which are few."""
        with self._lock:
            for _ in range(shards):
                shard = self._ids[self._next_shard]
                for k in [k for k, f in shard.items() if f < now]:
                    del shard[k]
                    self._counts[self._kind_of(k)] -= 1
                self._next_shard = (self._next_shard + 1) % _SHARDS
            for kid in [k for k, f in self._kids.items() if f < now]:
                del self._kids[kid]
            for u in [u for u, m in self._users.items() if m[1] < now]:
                del self._users[u]
            for f in [f for f in self._ints if f < now]:
                del self._ints[f]

    # -- the feed ----------------------------------------------------------

    def _poll(self, wait: float) -> int:
        """Reads what follows the cursor (waiting up to wait seconds),
        applies it and returns how many entries it had."""
        since = self.cursor
        q = {"since": str(since)}
        if wait > 0:
            q["wait"] = f"{int(wait * 1000)}ms"
        url = self.url + "?" + urllib.parse.urlencode(q)
        try:
            answer, _ = get_json(url, timeout=wait + self._timeout, limit=_MAX_BODY,
                                 headers={"Authorization": self._auth})
        except HTTPStatusError as e:
            raise FeedError(str(e)) from e
        except (OSError, ValueError) as e:
            raise FeedError(f"revocation feed: {e}") from e
        entries, nxt, resync = self._parse(answer, since)
        self._add(entries)
        if resync:
            self.resyncs += 1
            log.info("revocation feed sent a snapshot to resynchronise from cursor %d", since)
        self.cursor = nxt
        self._last_sync = self._clock()
        return len(entries)

    def _parse(self, a: Any, since: int) -> Tuple[List[Dict[str, Any]], int, bool]:
        """Checks an answer whole: one that is not what the feed promises is
        refused, and the cursor stays."""

        def bad(why: str) -> FeedError:
            return FeedError(f"revocation feed: malformed answer: {why}")

        if not isinstance(a, dict) or not isinstance(a.get("revocations"), list):
            raise bad("not an object with revocations")
        nxt, resync = _int(a.get("next")), a.get("resync", False) is True
        if nxt is None or nxt < 0 or (not resync and nxt < since):
            raise bad("next missing or behind the cursor")
        out: List[Dict[str, Any]] = []
        for r in a["revocations"]:
            if not isinstance(r, dict):
                raise bad("an entry is not an object")
            cursor, kind, value, forget = _int(r.get("cursor")), r.get("kind"), r.get("value"), _int(r.get("forget_at"))
            if (cursor is None or not 0 < cursor <= nxt or not isinstance(value, str) or not 0 < len(value) <= 1024
                    or forget is None or forget <= 0 or not isinstance(kind, str)):
                raise bad("an entry without a cursor up to next, a value or a forget_at")
            if kind not in _KINDS:
                if kind not in self._unknown_logged:
                    self._unknown_logged.add(kind)
                    log.warning("revocation feed entry of an unknown kind %r ignored; upgrade gatehouse_client", kind)
                continue
            e: Dict[str, Any] = {"kind": kind, "value": value, "forget_at": forget}
            if kind == "user":
                before = _int(r.get("issued_before"))
                if before is None:
                    raise bad("a user entry without issued_before")
                e["issued_before"] = before
            out.append(e)
        return out, nxt, resync

    def _run(self) -> None:
        failures, down_since = 0, 0.0
        while not self._stop.is_set():
            try:
                self._poll(self.wait)
            except FeedError as e:
                self.failures += 1
                if failures == 0:
                    down_since = self._clock()
                    log.warning("revocation feed unreachable; keeping the last known state and retrying: %s", e)
                failures += 1
                delay = min(_BACKOFF_MIN * 2 ** min(failures - 1, 10), _BACKOFF_MAX)
                delay -= random.uniform(0, delay / 5)
                cause = e.__cause__
                if isinstance(cause, HTTPStatusError) and cause.retry_after:
                    delay = max(delay, min(cause.retry_after, 30.0))
                self._stop.wait(delay)
                continue
            if failures:
                log.info("revocation feed reachable again after %.1f s; caught up", self._clock() - down_since)
            failures = 0

    def _sweep_loop(self) -> None:
        while not self._stop.wait(1.0):
            self._sweep(self._clock())


def _int(v: Any) -> Optional[int]:
    """v if it is a JSON integer (not a bool, not a float), else None."""
    return v if isinstance(v, int) and not isinstance(v, bool) else None
