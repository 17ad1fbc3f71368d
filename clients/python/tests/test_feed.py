import threading
import time
import unittest

from gatehouse_client import FeedError, InvalidToken, RevocationFeed, Unavailable, Verifier

from .fakeissuer import AUDIENCE, CLIENT_ID, CLIENT_SECRET, FakeIssuer, Key, new_id

HOUR = int(time.time()) + 3600


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def wait_until(cond, what: str, bound: float = 30.0) -> None:
    """Waits for the feed thread to get somewhere; the bound is for a failing test only."""
    end = time.monotonic() + bound
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"not within {bound} s: {what}")
        time.sleep(0.005)


class FeedTest(unittest.TestCase):
    def setUp(self) -> None:
        self.iss = FakeIssuer()
        self.addCleanup(self.iss.close)
        self.clock = Clock()

    def feed(self, **kw) -> RevocationFeed:
        f = RevocationFeed(self.iss.url, CLIENT_ID, CLIENT_SECRET, wait=5.0, clock=self.clock, **kw)
        self.addCleanup(f.close)
        return f

    def test_revoked_tokens_are_refused(self) -> None:
        iss = self.iss
        feed = self.feed()
        v = Verifier(iss.url, AUDIENCE, feed=feed)
        now = int(time.time())
        jti, sid, odd = new_id(), new_id(), "not-a-gatehouse-id"
        cases = {
            "a revoked jti": (iss.token(jti=jti), True),
            "a token of a revoked session": (iss.token(sid=sid), True),
            "a revoked jti not in Gatehouse's id form": (iss.token(jti=odd), True),
            "the user's token issued before the mark": (iss.token(sub="user-2", iat=now - 2), True),
            "the user's token issued at the mark": (iss.token(sub="user-2", iat=now), False),
            "a token of a revoked key": (iss.token(key=iss.keys[1]), True),
            "an unrelated token": (iss.token(), False),
        }
        for name, (tok, _) in cases.items():
            v.verify(tok)  # all accepted before the revocations
        iss.add("jti", jti, HOUR)
        iss.add("sid", sid, HOUR)
        iss.add("jti", odd, HOUR)
        iss.add("user", "user-2", HOUR, issued_before=now)
        iss.add("kid", iss.keys[1].kid, HOUR)
        wait_until(lambda: feed.cursor == 5, "the feed reads the five entries")
        for name, (tok, revoked) in cases.items():
            with self.subTest(name):
                if revoked:
                    with self.assertRaises(InvalidToken):
                        v.verify(tok)
                else:
                    v.verify(tok)
        self.assertEqual(feed.stats()["entries"], {"jti": 2, "sid": 1, "user": 1, "kid": 1})

    def test_unreachable_then_back(self) -> None:
        iss = self.iss
        feed = self.feed()
        v = Verifier(iss.url, AUDIENCE, feed=feed)
        before, during = new_id(), new_id()
        iss.add("jti", before, HOUR)
        wait_until(lambda: feed.cursor == 1, "the first entry")
        iss.set(down=True)
        iss.add("jti", during, HOUR)
        wait_until(lambda: feed.failures >= 2, "failed polls")
        self.clock.now += 30
        self.assertGreaterEqual(feed.staleness(), 30)
        with self.assertRaises(InvalidToken):
            v.verify(iss.token(jti=before))  # the last known state is kept
        v.verify(iss.token(jti=during))  # not known yet
        iss.set(down=False)
        wait_until(lambda: feed.cursor == 2, "catching up")
        with self.assertRaises(InvalidToken):
            v.verify(iss.token(jti=during))
        self.assertEqual(feed.staleness(), 0)

    def test_fails_closed_past_the_maximum_staleness(self) -> None:
        iss = self.iss
        feed = self.feed(max_staleness=60)
        v = Verifier(iss.url, AUDIENCE, feed=feed)
        tok = iss.token()
        v.verify(tok)
        iss.set(down=True)
        wait_until(lambda: feed.failures >= 1, "a failed poll")
        self.clock.now += 61
        with self.assertRaises(Unavailable):
            v.verify(tok)
        iss.set(down=False)
        wait_until(lambda: feed.staleness() == 0, "an answer")
        v.verify(tok)
        self.assertLessEqual(feed.wait, 30)

    def test_resynchronises_from_a_snapshot(self) -> None:
        feed = self.feed()
        self.iss.add("jti", new_id(), HOUR)
        wait_until(lambda: feed.cursor == 1, "the first entry")
        self.iss.set(resync_next=True)
        self.iss.add("sid", new_id(), HOUR)
        wait_until(lambda: feed.resyncs == 1 and feed.cursor == 2, "a resync")
        self.assertEqual(feed.stats()["entries"]["sid"], 1)

    def test_forgets_entries_past_their_forget_time(self) -> None:
        now = int(self.clock.now)
        self.iss.add("jti", new_id(), now + 60)
        self.iss.add("sid", "odd", now + 60)
        self.iss.add("user", "u", now + 60, issued_before=now)
        self.iss.add("jti", new_id(), now + 3600)
        feed = self.feed(start=False)
        self.assertEqual(sum(feed.stats()["entries"].values()), 4)
        feed._sweep(now + 120, shards=16)
        self.assertEqual(sum(feed.stats()["entries"].values()), 1)

    def test_refuses_to_start(self) -> None:
        with self.assertRaises(FeedError):
            RevocationFeed(self.iss.url, CLIENT_ID, "wrong")
        for raw in [b"<html>", b'{"revocations": []}', b'{"revocations": [], "next": -1}',
                    b'{"revocations": [{"cursor": 1, "kind": "user", "value": "u", "forget_at": 9}], "next": 1}',
                    b'{"revocations": [{"cursor": 5, "kind": "jti", "value": "j", "forget_at": 9}], "next": 1}']:
            with self.subTest(raw):
                self.iss.set(raw=raw)
                with self.assertRaises(FeedError):
                    RevocationFeed(self.iss.url, CLIENT_ID, CLIENT_SECRET)

    def test_unknown_kinds_are_skipped(self) -> None:
        self.iss.add("tenant", "acme", HOUR)
        self.iss.add("jti", new_id(), HOUR)
        feed = self.feed(start=False)
        self.assertEqual(feed.cursor, 2)
        self.assertEqual(feed.stats()["entries"]["jti"], 1)

    def test_metrics_text(self) -> None:
        self.iss.add("jti", new_id(), HOUR)
        feed = self.feed(start=False)
        self.clock.now += 42
        text = feed.metrics_text()
        self.assertIn("gatehouse_guard_revocation_feed_staleness_seconds 42.000\n", text)
        self.assertIn('gatehouse_guard_revocation_feed_entries{kind="jti"} 1\n', text)


if __name__ == "__main__":
    unittest.main()
