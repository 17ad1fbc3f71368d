import time
import unittest

import jwt

from gatehouse_client import InsecureIssuerError, InvalidToken, IssuerMismatch, Verifier

from .fakeissuer import AUDIENCE, FakeIssuer, Key, new_id


class VerifierTest(unittest.TestCase):
    def setUp(self) -> None:
        self.iss = FakeIssuer()
        self.addCleanup(self.iss.close)
        self.v = Verifier(self.iss.url, AUDIENCE)

    def test_a_valid_access_token_gives_its_claims(self) -> None:
        claims = self.v.verify(self.iss.token(scope="orders:read orders:write"))
        self.assertEqual(claims["sub"], "user-1")
        self.assertEqual(claims["scope"], "orders:read orders:write")

    def test_refused_tokens(self) -> None:
        iss = self.iss
        hs = jwt.encode({"iss": iss.url, "sub": "x", "aud": AUDIENCE, "exp": int(time.time()) + 60, "iat": int(time.time()),
                         "jti": "j", "client_id": "c"},
                        iss.keys[0].jwk["x"], algorithm="HS256", headers={"typ": "at+jwt", "kid": iss.keys[0].kid})
        cases = {
            "typ JWT (an ID token, say)": iss.token(headers={"typ": "JWT"}),
            "no typ": iss.token(headers={"typ": None}),
            "another audience": iss.token(aud="billing-api"),
            "another issuer": iss.token(iss="https://evil.example"),
            "expired beyond the leeway": iss.token(exp=int(time.time()) - 60),
            "issued in the future": iss.token(iat=int(time.time()) + 3600),
            "no jti": iss.token(jti=None),
            "no client_id": iss.token(client_id=None),
            "a scope that is not a string": iss.token(scope=["orders:read"]),
            "HS256 keyed with the public key (algorithm confusion)": hs,
            "a key the issuer never published": iss.token(key=Key()),
            "a forged signature": iss.token()[:-4] + "AAAA",
            "not a JWT": "hello",
            "over 8 KiB": "a" * 9000,
        }
        for name, tok in cases.items():
            with self.subTest(name):
                with self.assertRaises(InvalidToken):
                    self.v.verify(tok)

    def test_unknown_keys_refetch_the_jwks_at_most_once_a_minute(self) -> None:
        now = [time.time()]
        v = Verifier(self.iss.url, AUDIENCE, clock=lambda: now[0])
        before = self.iss.jwks_fetches
        stranger = Key()
        for _ in range(5):
            with self.assertRaises(InvalidToken):
                v.verify(self.iss.token(key=stranger))
        self.assertEqual(self.iss.jwks_fetches, before, "a refetch within the minute of the last fetch")
        self.iss.keys.append(stranger)  # a rotation published it
        now[0] += 61
        self.assertEqual(v.verify(self.iss.token(key=stranger))["sub"], "user-1")
        self.assertEqual(self.iss.jwks_fetches, before + 1)

    def test_metadata_naming_another_issuer_is_refused(self) -> None:
        self.iss.metadata_issuer = "https://another.example"
        with self.assertRaises(IssuerMismatch):
            Verifier(self.iss.url, AUDIENCE)

    def test_plain_http_issuers_must_be_loopback(self) -> None:
        with self.assertRaises(InsecureIssuerError):
            Verifier("http://auth.example.com", AUDIENCE)


if __name__ == "__main__":
    unittest.main()
