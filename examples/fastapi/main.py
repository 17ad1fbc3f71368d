"""An orders API in FastAPI whose routes accept Gatehouse access tokens.

It is the FastAPI security tutorial (OAuth2PasswordBearer, scopes with
SecurityScopes) with the token checks done against Gatehouse: the token is
verified locally with the public keys Gatehouse publishes at
/.well-known/jwks.json (PyJWT's PyJWKClient caches them and refetches on an
unknown key id), as an RFC 9068 access token: typ at+jwt, ES256, this issuer,
this audience, not expired.

    gatehouse serve &                               # the issuer, 127.0.0.1:8080
    uvicorn main:app --port 8082                    # this API (or: python3 main.py)
    curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8082/orders

GET /orders needs the scope orders:read. No token: 401; a token that fails
verification: 401 invalid_token; a valid token without the scope: 403
insufficient_scope (RFC 6750). Its answer includes the user's "role", a
custom claim that Gatehouse puts in every token of the user
(`gatehouse user add alice --claim role=admin`, or imported); GET /reports
also needs role "admin" (403 otherwise), where the tutorial's own
create_access_token wrote "user_role".

Configuration (environment): GATEHOUSE_ISSUER (default
http://127.0.0.1:8080), GATEHOUSE_AUDIENCE (default the issuer, as Gatehouse's
own default) and, for `python3 main.py`, FASTAPI_ADDR (default
127.0.0.1:8082; port 0 picks a free one).

The docs page (/docs) describes the OAuth2 password flow with Gatehouse's
token URL, but its "Authorize" button posts from the browser to Gatehouse, a
different origin, and Gatehouse's /token sends no CORS headers: log in with
curl or a client and send the token in the Authorization header instead.

Needs PyJWT with its crypto extra, FastAPI and uvicorn (Debian:
python3-jwt python3-fastapi python3-uvicorn).
"""

import logging
import os
import socket
import sys

import jwt
from fastapi import Depends, FastAPI, HTTPException, Security, status
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

ISSUER = os.environ.get("GATEHOUSE_ISSUER", "http://127.0.0.1:8080").rstrip("/")
AUDIENCE = os.environ.get("GATEHOUSE_AUDIENCE") or ISSUER

# Where the docs page's "Authorize" button logs in: Gatehouse's token
# endpoint, which takes the same form OAuth2PasswordRequestForm reads.
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=f"{ISSUER}/token",
    scopes={"orders:read": "Read orders.", "orders:write": "Create orders."},
)

# Fetches and caches Gatehouse's keys; a token signed by a key it has not
# seen (after a key rotation) makes it fetch the set again.
jwks_client = jwt.PyJWKClient(f"{ISSUER}/.well-known/jwks.json", cache_keys=True)

app = FastAPI(title="orders (protected by Gatehouse)")


def _challenge(scopes: SecurityScopes, error: str = "", description: str = "") -> str:
    value = "Bearer"
    params = []
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    if scopes.scopes:
        params.append(f'scope="{scopes.scope_str}"')
    if params:
        value += " " + ", ".join(params)
    return value


def verify(token: str) -> dict:
    """Verifies a Gatehouse access token and returns its claims, or raises."""
    if jwt.get_unverified_header(token).get("typ") != "at+jwt":
        # RFC 9068 §4: an access token says so in its header; an ID token or
        # any other JWT signed by the same keys is not one.
        raise jwt.InvalidTokenError("typ is not at+jwt")
    key = jwks_client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["ES256"],  # the verifier chooses the algorithm, never the token
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


# A plain def: FastAPI runs it in a thread pool, so the (rare) JWKS fetch
# does not block the event loop.
def current_claims(security_scopes: SecurityScopes, token: str = Depends(oauth2_scheme)) -> dict:
    try:
        claims = verify(token)
    except (jwt.InvalidTokenError, jwt.PyJWKClientError):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="invalid token",
            headers={"WWW-Authenticate": _challenge(security_scopes, "invalid_token")},
        )
    scope = claims.get("scope", "")
    if not isinstance(scope, str):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="invalid token",
            headers={"WWW-Authenticate": _challenge(security_scopes, "invalid_token")},
        )
    granted = set(scope.split())
    for needed in security_scopes.scopes:
        if needed not in granted:
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"the token lacks the scope {needed}",
                headers={"WWW-Authenticate": _challenge(security_scopes, "insufficient_scope")},
            )
    return claims


@app.get("/orders")
def list_orders(claims: dict = Security(current_claims, scopes=["orders:read"])):
    return {
        "orders": [],
        "subject": claims["sub"],
        "scopes": claims.get("scope", "").split(),
        "session_id": claims.get("sid"),
        "client_id": claims.get("client_id"),
        "role": claims.get("role"),
    }


def require_role(role: str):
    """A dependency that lets through tokens whose custom claim "role" is
    role: what the tutorial checked with user.role, read from the token."""

    def check(claims: dict = Security(current_claims, scopes=["orders:read"])) -> dict:
        if claims.get("role") != role:
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=f"role {role} required")
        return claims

    return check


@app.get("/reports")
def reports(claims: dict = Depends(require_role("admin"))):
    return {"reports": [], "by": claims["sub"], "role": claims["role"]}


@app.post("/orders", status_code=status.HTTP_201_CREATED)
def create_order(claims: dict = Security(current_claims, scopes=["orders:write"])):
    return {"created_by": claims["sub"]}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


def main() -> None:
    import uvicorn

    host, _, port = os.environ.get("FASTAPI_ADDR", "127.0.0.1:8082").rpartition(":")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), int(port)))
    addr = sock.getsockname()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    logging.info("listening addr=%s:%d issuer=%s", addr[0], addr[1], ISSUER)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
