"""Verifies Gatehouse access tokens with PyJWT, as a Python resource server would.

Usage: pyjwt_verify.py ISSUER AUDIENCE < tokens.json

stdin is a JSON object of named tokens; for each, stdout's JSON object says
either {"claims": {...}, "header": {...}} or {"error": "<PyJWT exception name>"}.
The keys come from the issuer's JWKS through jwt.PyJWKClient; the checks are
those a resource server must make (RFC 9068 §4): ES256 only, the issuer, the
audience, exp, and the at+jwt type.
"""

import json
import sys

import jwt


def main() -> None:
    issuer, audience = sys.argv[1], sys.argv[2]
    tokens = json.load(sys.stdin)
    client = jwt.PyJWKClient(issuer + "/.well-known/jwks.json")
    out = {"pyjwt_version": jwt.__version__, "results": {}}
    for name, token in tokens.items():
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != "at+jwt":
                raise jwt.InvalidTokenError("typ is not at+jwt")
            key = client.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["ES256"],
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
            out["results"][name] = {"claims": claims, "header": header, "kid": key.key_id}
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as err:
            out["results"][name] = {"error": type(err).__name__, "detail": str(err)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
