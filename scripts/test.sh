#!/usr/bin/env bash
# Runs the whole test suite. Starts the PostgreSQL and Redis servers the
# store and throttling tests talk to when they are installed but not running.
set -euo pipefail
cd "$(dirname "$0")/.."

install_tools() {
	# The README quickstart test runs the documented curl and jq commands.
	local missing=()
	for tool in curl jq; do command -v "$tool" >/dev/null || missing+=("$tool"); done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing ${missing[*]}"
		apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

start_services() {
	if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
		echo "starting PostgreSQL"
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
		for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	fi
	if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
		echo "starting Redis"
		mkdir -p /var/lib/redis /var/log/redis
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log || true
		for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
	fi
}

install_tools
start_services
# Python (PyJWT, FastAPI, uvicorn, requests-oauthlib) and npm (jose) clients
# for the interoperability tests in e2e/.
bash scripts/interop-deps.sh
# Chromium and playwright-core for the browser tests in e2e/.
bash scripts/browser-deps.sh
# e2e starts many servers and browsers; on a busy 2-core machine it needs more
# than go test's default 10 minutes.
go test -race -count=1 -timeout 25m "$@" ./...
# The Python client (clients/python): its unit tests on the system Python
# (Debian's python3-jwt), its types (mypy --strict), and `pip install
# ./clients/python` into a scratch directory, imported from there.
/usr/bin/python3 -m unittest discover -s clients/python/tests -t clients/python
/usr/bin/python3 -m mypy --strict --ignore-missing-imports --cache-dir=/dev/null clients/python/gatehouse_client
pip_target=$(mktemp -d)
trap 'rm -rf "$pip_target"' EXIT
PIP_ROOT_USER_ACTION=ignore /usr/bin/python3 -m pip install --quiet --no-deps --no-build-isolation --no-index --target "$pip_target" ./clients/python
(cd "$pip_target" && PYTHONPATH="$pip_target" /usr/bin/python3 -c 'import gatehouse_client.fastapi, gatehouse_client as g; print("pip install ./clients/python:", g.__name__, "importable")')
# bench/jwtpeer is its own module (golang-jwt stays out of the main one): its
# tests show what golang-jwt v5's defaults accept and the token package refuses.
(cd bench/jwtpeer && go test -count=1 "$@" ./...)
# examples/chi, gin and echo are their own modules (their frameworks stay out
# of the main one and guard's dependencies stay the standard library): each
# API's test runs it against real tokens of guard/guardtest's issuer.
for example in chi gin echo; do
	(cd "examples/$example" && go test -race -count=1 "$@" ./...)
done
