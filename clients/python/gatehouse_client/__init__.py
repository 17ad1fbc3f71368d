"""Verify Gatehouse access tokens and follow Gatehouse's revocation feed.

``Verifier`` checks access tokens locally with the keys the issuer
publishes; ``RevocationFeed`` keeps the revocations still in force, read
from the issuer's feed in a background thread; ``gatehouse_client.fastapi``
turns them into a FastAPI dependency. PyJWT (with its crypto extra) is the
only dependency.
"""

from .feed import DEFAULT_WAIT, FeedError, FeedStale, RevocationFeed, TokenRevoked
from .verifier import InvalidToken, IssuerMismatch, Unavailable, Verifier
from ._http import InsecureIssuerError

__all__ = [
    "DEFAULT_WAIT",
    "FeedError",
    "FeedStale",
    "InsecureIssuerError",
    "InvalidToken",
    "IssuerMismatch",
    "RevocationFeed",
    "TokenRevoked",
    "Unavailable",
    "Verifier",
]
