"""Gets a service's own token from Gatehouse with requests-oauthlib's
client_credentials grant (BackendApplicationClient), as
docs/migrating-from-fastapi.md shows, and calls an API with it.

Usage: requests_oauthlib_client_credentials.py ISSUER CLIENT_ID SECRET_FILE API_URL

The issuer is plain-http loopback, which oauthlib refuses unless
OAUTHLIB_INSECURE_TRANSPORT is set. Prints a JSON object with the token and
the API's answer.
"""

import json
import os
import sys

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

from oauthlib.oauth2 import BackendApplicationClient  # noqa: E402
from requests_oauthlib import OAuth2Session  # noqa: E402


def main() -> None:
    issuer, client_id, secret_file, api = sys.argv[1:5]
    with open(secret_file, encoding="utf-8") as f:
        secret = f.read()
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = session.fetch_token(token_url=issuer + "/token", client_id=client_id, client_secret=secret, timeout=30)
    answer = session.get(api, timeout=30)
    json.dump({"token": token, "api": {"status": answer.status_code, "body": answer.json()}}, sys.stdout)


if __name__ == "__main__":
    main()
