#!/usr/bin/env bash
# Installs what the interoperability tests (e2e/interop_test.go,
# e2e/migration_test.go), the Python client's tests (clients/python) and the
# FastAPI and Node examples need: PyJWT, FastAPI, uvicorn, httpx (FastAPI's
# TestClient), requests-oauthlib, passlib and bcrypt (the hashes of the
# FastAPI tutorial's users), pip (to install clients/python) and mypy (to
# check its types) from Debian, the Node example's locked packages and the
# FastAPI example's (Swagger UI's files for its /docs page), and the API
# tools of e2e/apitools_test.go (@apidevtools/swagger-parser, openid-client).
# Idempotent: installs nothing that is already there, runs apt-get update only
# when a package is missing, and npm ci only when node_modules is not in step
# with package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-jwt python3-fastapi python3-uvicorn python3-httpx python3-requests-oauthlib python3-pip python3-mypy python3-passlib python3-bcrypt)
missing=()
for pkg in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing ${missing[*]}"
	apt_get=(apt-get)
	[ "$(id -u)" = 0 ] || apt_get=(sudo apt-get)
	"${apt_get[@]}" update -qq
	DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci removes and reinstalls node_modules; skip it when the installed tree
# already matches the lock file (npm writes node_modules/.package-lock.json).
# No package needs its install scripts (swagger-ui-dist's would phone home).
for node_dir in examples/node examples/fastapi e2e/testdata/apitools; do
	if [ ! -f "$node_dir/node_modules/.package-lock.json" ] || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
		echo "npm ci in $node_dir"
		(cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
	fi
done
