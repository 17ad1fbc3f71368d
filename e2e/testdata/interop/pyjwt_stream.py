"""Verifies Gatehouse access tokens with PyJWT without pause, as Python
resource servers would, while the keys rotate.

Usage: pyjwt_stream.py JWKS_URL ISSUER AUDIENCE LIFESPAN

Reads one token per line on stdin; for each, writes one JSON line on stdout:
{"lib": ..., "strict": ...}, each "ok" or the PyJWT exception's name and
message.

  lib    - PyJWKClient as its documentation shows it: the JWKS cached for
           its default 300 s, fetched again when a token names a kid it
           does not have.
  strict - a PyJWKClient whose cached JWKS lives LIFESPAN seconds (the
           server's Cache-Control max-age) and that never fetches on an
           unknown kid: it verifies only if the key was published a cache
           lifetime before it signed.
"""

import json
import sys

import jwt

ALGORITHMS = ["ES256", "EdDSA"]


def check(token, key, issuer, audience):
    header = jwt.get_unverified_header(token)
    if header.get("typ") != "at+jwt":
        raise jwt.InvalidTokenError("typ is not at+jwt")
    jwt.decode(
        token,
        key,
        algorithms=ALGORITHMS,
        audience=audience,
        issuer=issuer,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def main() -> None:
    jwks_url, issuer, audience, lifespan = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    lib = jwt.PyJWKClient(jwks_url)
    strict = jwt.PyJWKClient(jwks_url, lifespan=lifespan)
    for line in sys.stdin:
        token = line.strip()
        out = {}
        try:
            check(token, lib.get_signing_key_from_jwt(token).key, issuer, audience)
            out["lib"] = "ok"
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as err:
            out["lib"] = type(err).__name__ + ": " + str(err)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = strict.match_kid(strict.get_signing_keys(), kid)
            if key is None:
                raise jwt.PyJWKClientError("kid %s not in the cached JWKS" % kid)
            check(token, key.key, issuer, audience)
            out["strict"] = "ok"
        except (jwt.InvalidTokenError, jwt.PyJWKClientError) as err:
            out["strict"] = type(err).__name__ + ": " + str(err)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
