import time
import unittest

try:
    from fastapi import FastAPI, Security
    from fastapi.testclient import TestClient
except ImportError:  # pragma: no cover - scripts/interop-deps.sh installs them
    FastAPI = None

from gatehouse_client import RevocationFeed, Verifier

from .fakeissuer import AUDIENCE, CLIENT_ID, CLIENT_SECRET, FakeIssuer, new_id


@unittest.skipIf(FastAPI is None, "FastAPI and httpx are not installed (scripts/interop-deps.sh installs them)")
class FastAPIDependencyTest(unittest.TestCase):
    def setUp(self) -> None:
        from gatehouse_client.fastapi import bearer

        self.iss = FakeIssuer()
        self.addCleanup(self.iss.close)
        self.now = [time.time()]
        self.feed = RevocationFeed(self.iss.url, CLIENT_ID, CLIENT_SECRET, wait=5.0, max_staleness=60,
                                   clock=lambda: self.now[0])
        self.addCleanup(self.feed.close)
        current = bearer(Verifier(self.iss.url, AUDIENCE, feed=self.feed), scopes={"orders:read": "Read orders."})
        app = FastAPI()

        @app.get("/orders")
        def orders(claims: dict = Security(current, scopes=["orders:read"])):
            return {"subject": claims["sub"]}

        self.client = TestClient(app)

    def get(self, token: str = ""):
        return self.client.get("/orders", headers={"Authorization": "Bearer " + token} if token else {})

    def test_answers(self) -> None:
        r = self.get(self.iss.token())
        self.assertEqual((r.status_code, r.json()), (200, {"subject": "user-1"}))

        r = self.get()
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.headers["WWW-Authenticate"], "Bearer")

        r = self.get("forged.token.here")
        self.assertEqual(r.status_code, 401)
        self.assertIn('error="invalid_token"', r.headers["WWW-Authenticate"])

        r = self.get(self.iss.token(scope="profile"))
        self.assertEqual(r.status_code, 403)
        self.assertIn('error="insufficient_scope"', r.headers["WWW-Authenticate"])
        self.assertIn('scope="orders:read"', r.headers["WWW-Authenticate"])

    def test_a_revoked_token_is_401_and_a_stale_feed_503(self) -> None:
        jti = new_id()
        tok = self.iss.token(jti=jti)
        self.assertEqual(self.get(tok).status_code, 200)
        self.iss.add("jti", jti, int(time.time()) + 3600)
        deadline = time.monotonic() + 30
        while self.feed.cursor < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        r = self.get(tok)
        self.assertEqual(r.status_code, 401)
        self.assertIn("revoked", r.headers["WWW-Authenticate"])

        self.iss.set(down=True)
        self.now[0] += 61
        r = self.get(self.iss.token())
        self.assertEqual(r.status_code, 503)
        self.assertEqual(r.headers["Retry-After"], "1")


if __name__ == "__main__":
    unittest.main()
