"""The FastAPI dependency: OAuth2PasswordBearer for the docs page,
SecurityScopes for the scopes a route needs, a Verifier for the token, and
RFC 6750 answers."""

from __future__ import annotations

from typing import Any, Callable, Dict, Mapping, Optional

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from .verifier import InvalidToken, Unavailable, Verifier


def _challenge(scopes: SecurityScopes, error: str = "", description: str = "") -> str:
    params = []
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    if scopes.scopes and error == "insufficient_scope":
        params.append(f'scope="{scopes.scope_str}"')
    return "Bearer" + (" " + ", ".join(params) if params else "")


def bearer(
    verifier: Verifier,
    *,
    token_url: Optional[str] = None,
    scopes: Optional[Mapping[str, str]] = None,
) -> Callable[..., Dict[str, Any]]:
    """Returns a dependency that hands a route the claims of the request's
    verified Gatehouse access token, for use with Security:

        current_claims = bearer(verifier)

        @app.get("/orders")
        def orders(claims: dict = Security(current_claims, scopes=["orders:read"])): ...

    Answers: no token, 401 with a bare Bearer challenge; a refused token
    (malformed, forged, expired, revoked, a scope claim that is not a
    string), 401 invalid_token; a token without a scope the route needs, 403
    insufficient_scope naming the scopes; a revocation feed staler than its
    max_staleness, 503 temporarily_unavailable with Retry-After.
    token_url and scopes are what the docs page shows (default: the
    issuer's /token).
    """
    scheme = OAuth2PasswordBearer(
        tokenUrl=token_url or verifier.issuer.rstrip("/") + "/token",
        scopes=dict(scopes or {}),
        auto_error=False,
    )

    # A plain def: FastAPI runs it in its thread pool, so a JWKS fetch (rare)
    # does not block the event loop.
    def current_claims(security_scopes: SecurityScopes, token: Optional[str] = Depends(scheme)) -> Dict[str, Any]:
        if not token:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a bearer token is required",
                                headers={"WWW-Authenticate": _challenge(security_scopes)})
        try:
            claims = verifier.verify(token)
        except Unavailable:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the access token could not be checked; try again later",
                                headers={"Retry-After": "1"}) from None
        except InvalidToken as e:
            revoked = str(e) == "revoked" or e.__cause__ is not None and type(e.__cause__).__name__ == "TokenRevoked"
            desc = "the access token was revoked" if revoked else "the access token is invalid"
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, desc,
                                headers={"WWW-Authenticate": _challenge(security_scopes, "invalid_token", desc)}) from None
        granted = set(claims.get("scope", "").split())
        missing = [s for s in security_scopes.scopes if s not in granted]
        if missing:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the token lacks the scope {missing[0]}",
                                headers={"WWW-Authenticate": _challenge(security_scopes, "insufficient_scope",
                                                                        "the access token lacks a required scope")})
        return claims

    return current_claims
