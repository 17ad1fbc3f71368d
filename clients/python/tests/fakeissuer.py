"""A fake Gatehouse for the tests: RFC 8414 metadata, a JWKS, and a
/revocations feed with long polls, on a loopback port."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

CLIENT_ID, CLIENT_SECRET = "api", "s3cret s3cret"
AUDIENCE = "orders-api"


def new_id() -> str:
    """An id in Gatehouse's form: 128 random bits, base64url, no padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def b64coord(n: int) -> str:
    """A P-256 coordinate as RFC 7518 §6.2.1.2 wants it: the full 32 bytes,
    base64url. (PyJWT 2.6's to_jwk drops leading zero bytes, and its own
    PyJWK then refuses about one key in 140.)"""
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


class Key:
    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        pub = self.private.public_key().public_numbers()
        self.kid = new_id()
        self.jwk = {"kty": "EC", "crv": "P-256", "x": b64coord(pub.x), "y": b64coord(pub.y),
                    "kid": self.kid, "alg": "ES256", "use": "sig"}


class FakeIssuer:
    def __init__(self) -> None:
        self.keys: List[Key] = [Key(), Key()]
        self.entries: List[Dict[str, Any]] = []
        self.head = 0
        self.down = False
        self.resync_next = False
        self.raw: Optional[bytes] = None
        self.metadata_issuer: Optional[str] = None
        self.jwks_fetches = 0
        self.cond = threading.Condition()
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                u = urlsplit(self.path)
                if u.path == "/.well-known/oauth-authorization-server":
                    self._json({"issuer": issuer.metadata_issuer or issuer.url, "jwks_uri": issuer.url + "/jwks"})
                elif u.path == "/jwks":
                    issuer.jwks_fetches += 1
                    self._json({"keys": [k.jwk for k in issuer.keys]})
                elif u.path == "/revocations":
                    self._feed(parse_qs(u.query))
                else:
                    self.send_error(404)

            def _json(self, v: Any, status: int = 200) -> None:
                body = json.dumps(v).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _feed(self, q: Dict[str, List[str]]) -> None:
                want = "Basic " + base64.b64encode(b"api:s3cret+s3cret").decode()
                if self.headers.get("Authorization") != want:
                    self._json({"error": "invalid_client"}, 401)
                    return
                since = int(q.get("since", ["0"])[0])
                wait = q.get("wait", ["0ms"])[0]
                deadline = time.monotonic() + (int(wait[:-2]) / 1000 if wait.endswith("ms") else 0)
                with issuer.cond:
                    while True:
                        if issuer.down:
                            self.send_response(503)
                            self.send_header("Retry-After", "0")
                            self.send_header("Content-Length", "0")
                            self.end_headers()
                            return
                        if issuer.raw is not None:
                            self.send_response(200)
                            self.send_header("Content-Length", str(len(issuer.raw)))
                            self.end_headers()
                            self.wfile.write(issuer.raw)
                            return
                        resync, issuer.resync_next = issuer.resync_next, False
                        if resync:
                            since = 0
                        page = [e for e in issuer.entries if e["cursor"] > since]
                        left = deadline - time.monotonic()
                        if page or resync or left <= 0:
                            self._json({"revocations": page, "next": max(since, issuer.head), "resync": resync})
                            return
                        issuer.cond.wait(left)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        with self.cond:
            self.down = True
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def add(self, kind: str, value: str, forget_at: int, issued_before: Optional[int] = None) -> None:
        with self.cond:
            self.head += 1
            e: Dict[str, Any] = {"cursor": self.head, "kind": kind, "value": value, "forget_at": forget_at}
            if issued_before is not None:
                e["issued_before"] = issued_before
            self.entries.append(e)
            self.cond.notify_all()

    def set(self, **kw: Any) -> None:
        with self.cond:
            for k, v in kw.items():
                setattr(self, k, v)
            self.cond.notify_all()

    def token(self, key: Optional[Key] = None, headers: Optional[Dict[str, Any]] = None, **claims: Any) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        c = {"iss": self.url, "sub": "user-1", "aud": AUDIENCE, "exp": now + 900, "iat": now, "jti": new_id(),
             "sid": new_id(), "client_id": "gatehouse", "scope": "orders:read"}
        c.update(claims)
        c = {k: v for k, v in c.items() if v is not None}
        h = {"typ": "at+jwt", "kid": key.kid}
        h.update(headers or {})
        return jwt.encode(c, key.private, algorithm="ES256", headers=h)
