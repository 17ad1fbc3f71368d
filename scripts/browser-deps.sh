#!/usr/bin/env bash
# Installs what the browser tests (e2e/browser_test.go) need: Debian's
# Chromium and the locked playwright-core that drives it. Playwright's own
# browser download is never used (`npx playwright install` cannot reach its
# servers here): the tests launch /usr/bin/chromium. Idempotent: apt-get
# runs only when Chromium is missing, npm ci only when node_modules is not in
# step with package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(dpkg-query -W -f='${db:Status-Status}' chromium 2>/dev/null || true)" != installed ]; then
	echo "installing chromium"
	apt_get=(apt-get)
	[ "$(id -u)" = 0 ] || apt_get=(sudo apt-get)
	"${apt_get[@]}" update -qq
	DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -qq --no-install-recommends chromium >/dev/null
fi

dir=e2e/testdata/browser
if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
	echo "npm ci in $dir"
	(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
