"""Logs in to Gatehouse with requests-oauthlib's password grant, refreshes, and
calls /userinfo with the token, as a Python client would.

Usage: requests_oauthlib_login.py ISSUER USERNAME PASSWORD_FILE

requests-oauthlib with LegacyApplicationClient sends the client_id as HTTP
Basic with an empty secret (RFC 6749 §2.3.1). The issuer is plain-http
loopback, which oauthlib refuses unless OAUTHLIB_INSECURE_TRANSPORT is set.
Prints a JSON object with the tokens and the /userinfo answers.
"""

import json
import os
import sys

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

import oauthlib  # noqa: E402
import requests_oauthlib  # noqa: E402
from oauthlib.oauth2 import LegacyApplicationClient  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402


def main() -> None:
    issuer, username, password_file = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(password_file, encoding="utf-8") as f:
        password = f.read()
    session = OAuth2Session(client=LegacyApplicationClient(client_id="gatehouse"))
    token = session.fetch_token(
        token_url=issuer + "/token",
        username=username,
        password=password,
        scope=["orders:read"],
        timeout=30,
    )
    first = session.get(issuer + "/userinfo", timeout=30)
    refreshed = session.refresh_token(issuer + "/token", refresh_token=token["refresh_token"], timeout=30)
    second = session.get(issuer + "/userinfo", timeout=30)
    json.dump(
        {
            "versions": {"requests_oauthlib": requests_oauthlib.__version__, "oauthlib": oauthlib.__version__},
            "token": token,
            "userinfo": {"status": first.status_code, "body": first.json()},
            "refreshed": refreshed,
            "userinfo_after_refresh": {"status": second.status_code, "body": second.json()},
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
