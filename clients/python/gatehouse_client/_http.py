"""The HTTP side both the verifier and the feed share: the transport rule
and bounded GETs with the standard library's urllib (no dependency)."""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Mapping, Optional, Tuple


class InsecureIssuerError(ValueError):
    """The issuer (or a URL it names) is plain http:// and not loopback."""


def check_url(url: str, allow_insecure_http: bool) -> urllib.parse.SplitResult:
    """Refuses URLs other than https://, or http:// to a loopback host
    (or any http:// with allow_insecure_http): keys and the client secret
    travel on them."""
    u = urllib.parse.urlsplit(url)
    if not u.hostname or u.username is not None or u.password is not None:
        raise ValueError(f"{url!r} is not an absolute URL without userinfo")
    if u.scheme == "https":
        return u
    if u.scheme == "http":
        if allow_insecure_http or _is_loopback(u.hostname):
            return u
        raise InsecureIssuerError(f"{url!r}: the issuer must use https (or loopback http)")
    raise ValueError(f"{url!r}: scheme must be https")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HTTPStatusError(Exception):
    """A response other than 200."""

    def __init__(self, url: str, status: int, retry_after: Optional[float]) -> None:
        super().__init__(f"GET {url}: status {status}")
        self.status = status
        self.retry_after = retry_after


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None  # a redirect is answered as the status it is


_opener = urllib.request.build_opener(_NoRedirect())


def get_json(
    url: str, *, timeout: float, limit: int, headers: Optional[Mapping[str, str]] = None
) -> Tuple[Any, Mapping[str, str]]:
    """GETs url and returns its decoded JSON body (at most limit bytes) and
    its headers. Raises HTTPStatusError for any status but 200, OSError for
    transport failures, ValueError for a body that is not JSON or too long."""
    req = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})})
    try:
        resp = _opener.open(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        retry = e.headers.get("Retry-After") if e.headers else None
        e.close()
        raise HTTPStatusError(url, e.code, float(retry) if retry and retry.isdigit() else None) from None
    with resp:
        if resp.status != 200:
            raise HTTPStatusError(url, resp.status, None)
        body = resp.read(limit + 1)
        if len(body) > limit:
            raise ValueError(f"GET {url}: answer over {limit} bytes")
        return json.loads(body), dict(resp.headers.items())
