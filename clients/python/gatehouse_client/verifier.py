"""Verifying Gatehouse access tokens (RFC 9068 profile) with the keys the
issuer publishes."""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

import jwt

from ._http import check_url, get_json
from .feed import FeedStale, RevocationFeed, TokenRevoked

_MAX_METADATA, _MAX_JWKS = 64 << 10, 1 << 20
_MAX_TOKEN = 8192
#: The least time between two JWKS fetches caused by unknown key ids.
REFETCH_INTERVAL = 60.0
#: The claims an RFC 9068 access token must carry.
REQUIRED_CLAIMS = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"]


class InvalidToken(Exception):
    """The token was refused: malformed, forged, expired, for another issuer
    or audience, not an access token, or revoked (then a TokenRevoked is
    its __cause__)."""


class Unavailable(Exception):
    """The token could not be checked (the revocation feed is too stale):
    neither accepted nor refused. APIs answer 503."""


class IssuerMismatch(ValueError):
    """The metadata names another issuer than the URL it was fetched for
    (RFC 8414 §3.3)."""


class Verifier:
    """Verifies Gatehouse access tokens locally.

    It reads the issuer's RFC 8414 metadata (refusing metadata naming
    another issuer), fetches the JWKS it names, refreshes it every
    ``jwks_lifespan`` seconds and when a token names an unknown key (at most
    once every REFETCH_INTERVAL), keeping the last good set when the issuer
    is down. A token is accepted only as an RFC 9068 access token: header
    ``typ`` at+jwt, signed with the algorithm of the key its ``kid`` names
    (the key chooses, never the token), this issuer and audience, within its
    lifetime (with ``leeway`` seconds of clock skew), with every claim of
    REQUIRED_CLAIMS and a string ``scope``. With ``feed``, tokens the feed
    reports revoked are refused too, and keys it revoked are not used.
    """

    def __init__(
        self,
        issuer: str,
        audience: Optional[str] = None,
        *,
        feed: Optional[RevocationFeed] = None,
        leeway: float = 30.0,
        allow_insecure_http: bool = False,
        timeout: float = 10.0,
        jwks_lifespan: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        u = check_url(issuer, allow_insecure_http)
        if u.query or u.fragment:
            raise ValueError(f"issuer {issuer!r} has a query or fragment")
        self.issuer = issuer
        self.audience = audience or issuer
        self.feed = feed
        self.leeway = leeway
        self._timeout = timeout
        self._lifespan = jwks_lifespan
        self._clock = clock
        self._insecure = allow_insecure_http
        path = u.path.rstrip("/")
        metadata_url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/.well-known/oauth-authorization-server" + path, "", ""))
        md, _ = get_json(metadata_url, timeout=timeout, limit=_MAX_METADATA)
        if not isinstance(md, dict) or md.get("issuer") != issuer:
            got = md.get("issuer") if isinstance(md, dict) else None
            raise IssuerMismatch(f"metadata issuer {got!r}, want {issuer!r}")
        jwks_uri = md.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise ValueError("metadata has no jwks_uri")
        check_url(jwks_uri, allow_insecure_http)
        self.jwks_uri = jwks_uri
        self._lock = threading.Lock()
        self._keys: Dict[str, Tuple[jwt.PyJWK, str]] = {}
        self._fetched = 0.0
        self._refresh()

    def _refresh(self) -> None:
        """Fetches the JWKS and installs its signing keys."""
        doc, _ = get_json(self.jwks_uri, timeout=self._timeout, limit=_MAX_JWKS)
        keys: Dict[str, Tuple[jwt.PyJWK, str]] = {}
        for data in doc.get("keys", []) if isinstance(doc, dict) else []:
            if not isinstance(data, dict) or not isinstance(data.get("kid"), str) or data.get("use", "sig") != "sig":
                continue
            alg = _key_algorithm(data)
            if alg is None:
                continue
            try:
                keys[data["kid"]] = (jwt.PyJWK(data, alg), alg)  # type: ignore[no-untyped-call]
            except jwt.PyJWTError:
                continue  # a key this PyJWT cannot use; tokens it signed are refused
        if not keys:
            raise ValueError("the JWKS has no signing keys")
        with self._lock:
            self._keys = keys
            self._fetched = self._clock()

    def _key(self, kid: str) -> Optional[Tuple[jwt.PyJWK, str]]:
        now = self._clock()
        with self._lock:
            key, fetched = self._keys.get(kid), self._fetched
        stale = now - fetched >= self._lifespan
        if key is None and now - fetched >= REFETCH_INTERVAL or stale:
            with self._lock:
                if self._fetched != fetched:  # another thread fetched meanwhile
                    return self._keys.get(kid)
                self._fetched = now  # rate-limits the fetches even when they fail
            try:
                self._refresh()
            except Exception:  # keep the last good keys
                pass
            with self._lock:
                key = self._keys.get(kid)
        return key

    def verify(self, token: str) -> Dict[str, Any]:
        """Returns the claims of token if it is a valid, unrevoked access
        token of this issuer for this audience. Raises InvalidToken (a
        refused token) or Unavailable (the feed is too stale to tell)."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN:
            raise InvalidToken("token missing or over 8 KiB")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as e:
            raise InvalidToken("malformed token") from e
        typ = header.get("typ")
        # RFC 9068 §4: an access token says so in its header.
        if not isinstance(typ, str) or typ.lower() not in ("at+jwt", "application/at+jwt"):
            raise InvalidToken("typ is not at+jwt")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no kid")
        if self.feed is not None and self.feed.kid_revoked(kid):
            raise InvalidToken("signed by a revoked key") from TokenRevoked(kid)
        found = self._key(kid)
        if found is None:
            raise InvalidToken("unknown signing key")
        key, alg = found
        if header.get("alg") != alg:
            raise InvalidToken("alg is not the key's algorithm")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],  # the key's algorithm, never the token's choice
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as e:
            raise InvalidToken(str(e)) from e
        if not isinstance(claims.get("scope", ""), str):
            raise InvalidToken("scope is not a string")
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
            raise InvalidToken("sub and jti must be strings")
        if self.feed is not None:
            try:
                self.feed.check(claims, kid)
            except FeedStale as e:
                raise Unavailable(str(e)) from e
            except TokenRevoked as e:
                raise InvalidToken("revoked") from e
        return claims


#: The algorithms Gatehouse signs with, by the key type and curve that
#: carry them.
_ALGORITHMS: Dict[Tuple[str, Optional[str]], str] = {("EC", "P-256"): "ES256", ("OKP", "Ed25519"): "EdDSA", ("RSA", None): "RS256"}


def _key_algorithm(jwk: Mapping[str, Any]) -> Optional[str]:
    """The one algorithm a public key of the JWKS verifies: its "alg" if it
    is the one its type allows, else the one its type and curve imply.
    Symmetric ("oct") keys and others are not used."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if not isinstance(kty, str) or not (crv is None or isinstance(crv, str)):
        return None
    implied = _ALGORITHMS.get((kty, crv if kty != "RSA" else None))
    alg = jwk.get("alg", implied)
    return alg if alg is not None and alg == implied else None
