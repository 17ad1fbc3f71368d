"""An orders API in FastAPI whose routes accept Gatehouse access tokens.

It is the FastAPI security tutorial (OAuth2PasswordBearer, scopes with
SecurityScopes) with the token checks done by gatehouse_client
(clients/python): the token is verified locally with the public keys
Gatehouse publishes, as an RFC 9068 access token (typ at+jwt, the key's
algorithm, this issuer, this audience, within its lifetime).

    gatehouse serve &                               # the issuer, 127.0.0.1:8080
    uvicorn main:app --port 8082                    # this API (or: python3 main.py)
    curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8082/orders

GET /orders needs the scope orders:read. No token: 401; a token that fails
verification or was revoked: 401 invalid_token; a valid token without the
scope: 403 insufficient_scope (RFC 6750). Its answer includes the user's
"role", a custom claim that Gatehouse puts in every token of the user
(`gatehouse user add alice --claim role=admin`, or imported); GET /reports
also needs role "admin" (403 otherwise), where the tutorial's own
create_access_token wrote "user_role".

Configuration (environment): GATEHOUSE_ISSUER (default
http://127.0.0.1:8080), GATEHOUSE_AUDIENCE (default the issuer, as Gatehouse's
own default) and, for `python3 main.py`, FASTAPI_ADDR (default
127.0.0.1:8082; port 0 picks a free one). With GATEHOUSE_CLIENT_ID and
GATEHOUSE_CLIENT_SECRET (a client made with `gatehouse client add
orders-api`) it follows Gatehouse's revocation feed in a background thread:
a logged-out or revoked token is refused within moments, with no call to
Gatehouse per request; GET /metrics then shows the feed's staleness, and
GATEHOUSE_FEED_MAX_STALENESS (seconds) makes it answer 503 rather than trust
a feed it has not heard from for longer.

The docs page (/docs) is Swagger UI, served from this app's own files
(npm swagger-ui-dist in node_modules: `npm ci --ignore-scripts` here; no
CDN). Its "Authorize" button logs in with a Gatehouse user's password: the
browser posts from this app's origin to Gatehouse's /token, so Gatehouse must
list this origin for CORS:

    gatehouse serve --cors-origins http://127.0.0.1:8082

Then "Try it out" on GET /orders sends the token it got. (Swagger UI sends
`Authorization: Basic Og==`, an empty client id and secret, by default:
Gatehouse takes that as its first-party client.)

Needs gatehouse_client (pip install ./clients/python, or found beside this
repository's checkout), FastAPI and uvicorn (Debian: python3-jwt
python3-fastapi python3-uvicorn).
"""

import logging
import os
import pathlib
import socket
import sys

from fastapi import Depends, FastAPI, HTTPException, Response, Security, status
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles

try:
    import gatehouse_client
except ImportError:  # run from a checkout of the repository
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
    import gatehouse_client
from gatehouse_client.fastapi import bearer

ISSUER = os.environ.get("GATEHOUSE_ISSUER", "http://127.0.0.1:8080").rstrip("/")
AUDIENCE = os.environ.get("GATEHOUSE_AUDIENCE") or ISSUER

feed = None
if os.environ.get("GATEHOUSE_CLIENT_ID") and os.environ.get("GATEHOUSE_CLIENT_SECRET"):
    max_staleness = os.environ.get("GATEHOUSE_FEED_MAX_STALENESS")
    feed = gatehouse_client.RevocationFeed(
        ISSUER,
        os.environ["GATEHOUSE_CLIENT_ID"],
        os.environ["GATEHOUSE_CLIENT_SECRET"],
        max_staleness=float(max_staleness) if max_staleness else None,
    )

verifier = gatehouse_client.Verifier(ISSUER, AUDIENCE, feed=feed)

# The dependency every protected route takes: it reads the bearer token
# (OAuth2PasswordBearer, so the docs page knows Gatehouse's token URL),
# verifies it and checks the route's scopes (SecurityScopes).
current_claims = bearer(verifier, scopes={"orders:read": "Read orders.", "orders:write": "Create orders."})

# The docs page is served below, from local files, instead of FastAPI's
# default, which loads Swagger UI from a CDN.
app = FastAPI(title="orders (protected by Gatehouse)", docs_url=None)

SWAGGER_UI = pathlib.Path(__file__).resolve().parent / "node_modules" / "swagger-ui-dist"
if SWAGGER_UI.is_dir():
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")


@app.get("/docs", include_in_schema=False)
def docs():
    if not SWAGGER_UI.is_dir():
        return PlainTextResponse("Swagger UI is not installed: run `npm ci --ignore-scripts` in examples/fastapi.", status_code=503)
    return get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=app.title + " - docs",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        init_oauth=app.swagger_ui_init_oauth,
    )


@app.get(app.swagger_ui_oauth2_redirect_url, include_in_schema=False)
def docs_oauth2_redirect():
    return get_swagger_ui_oauth2_redirect_html()


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


@app.get("/metrics")
def metrics():
    if feed is None:
        return Response(status_code=404)
    return Response(feed.metrics_text(), media_type="text/plain; version=0.0.4")


def main() -> None:
    import uvicorn

    host, _, port = os.environ.get("FASTAPI_ADDR", "127.0.0.1:8082").rpartition(":")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by the accepted connections: without it, a client that keeps
    # its connection open waits ~40 ms for each answer (Nagle's algorithm
    # holding the body behind the headers until the client's delayed ACK).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host.strip("[]"), int(port)))
    addr = sock.getsockname()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    logging.info("listening addr=%s:%d issuer=%s revocation_feed=%s", addr[0], addr[1], ISSUER, feed is not None)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
