#!/usr/bin/env bash
# Runs the example frontend's browser test against a real Folio server.
#
#   FOLIO_BIN=/path/to/folio DATABASE_URL=postgres://.../empty_db examples/frontend/run-tests.sh
#
# Installs Debian's Chromium if /usr/bin/chromium is missing (as root, with apt-get; CHROMIUM names another
# browser binary), installs the pinned packages (npm ci; Playwright never downloads a browser), seeds the demo
# blog into DATABASE_URL, creates a content:write token (FOLIO_TOKEN: the search test publishes an article with
# markup in its title and removes it) and an admin one (FOLIO_ADMIN_TOKEN: the site's settings), serves the API and
# this folder (python3 -m http.server) on the first two free ports of FOLIO_TEST_PORTS (default 18180-18189),
# gives the site its settings and About page (seed-site.mjs, the frontend's address as the site's URL), runs
# browser-test.mjs and stops both servers. Screenshots land in screenshots/. The exit code is the test's (or that
# of the first step that failed). Needs no standard input.
set -euo pipefail
exec </dev/null

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

: "${FOLIO_BIN:?FOLIO_BIN must name the folio binary}"
: "${DATABASE_URL:?DATABASE_URL must name an empty PostgreSQL database the test may use}"
export DATABASE_URL
FOLIO_BIN="$(cd "$(dirname "$FOLIO_BIN")" && pwd)/$(basename "$FOLIO_BIN")"
[ -x "$FOLIO_BIN" ] || { echo "run-tests: $FOLIO_BIN is not executable" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run-tests: python3 is needed to serve the frontend" >&2; exit 2; }

step() { printf '\n== %s\n' "$*"; }

export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$CHROMIUM" = /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "apt-get install chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "run-tests: no browser at $CHROMIUM (Debian: apt-get install chromium)" >&2
    exit 2
  fi
fi
"$CHROMIUM" --version 2>/dev/null

step "npm ci"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

step "seed the demo blog"
"$FOLIO_BIN" migrate
"$FOLIO_BIN" seed --demo
token="$("$FOLIO_BIN" token create --name "frontend-tests-$$" --scope content:write | sed -n 1p)"
case "$token" in folio_*) ;; *) echo "run-tests: no token from 'folio token create'" >&2; exit 2 ;; esac
admin_token="$("$FOLIO_BIN" token create --name "frontend-tests-admin-$$" --scope admin | sed -n 1p)"
case "$admin_token" in folio_*) ;; *) echo "run-tests: no admin token from 'folio token create'" >&2; exit 2 ;; esac

# The first two ports of the range nobody listens on.
range="${FOLIO_TEST_PORTS:-18180-18189}"
read -r api_port web_port < <(node -e '
  const net = require("node:net");
  const [lo, hi] = process.argv[1].split("-").map(Number);
  const free = (p) => new Promise((ok) => { const s = net.createServer();
    s.once("error", () => ok(false)); s.listen(p, "127.0.0.1", () => s.close(() => ok(true))); });
  (async () => { const found = [];
    for (let p = lo; p <= (hi || lo) && found.length < 2; p++) if (await free(p)) found.push(p);
    if (found.length < 2) process.exit(1); console.log(found.join(" ")); })();' "$range") \
  || { echo "run-tests: no two free ports in $range" >&2; exit 2; }
[ -n "${web_port:-}" ] || { echo "run-tests: no two free ports in $range" >&2; exit 2; }

api_log="$(mktemp -t folio-frontend-api.XXXXXX.log)"
web_log="$(mktemp -t folio-frontend-web.XXXXXX.log)"
export FOLIO_URL="http://127.0.0.1:$api_port"
export FRONTEND_URL="http://127.0.0.1:$web_port"

step "serve the API at $FOLIO_URL and the frontend at $FRONTEND_URL"
media_dir="$(mktemp -d -t folio-frontend-media.XXXXXX)"
FOLIO_MEDIA_STORE="$media_dir" FOLIO_BIND="127.0.0.1:$api_port" RUST_LOG="${RUST_LOG:-warn}" "$FOLIO_BIN" serve >"$api_log" 2>&1 &
api=$!
python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$here" >"$web_log" 2>&1 &
web=$!
stop() {
  for pid in "$api" "$web"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
}
trap stop EXIT

up() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; }
for _ in $(seq 1 150); do
  for pid in "$api" "$web"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run-tests: a server exited; logs:" >&2; cat "$api_log" "$web_log" >&2; exit 2
    fi
  done
  if up "$FOLIO_URL/healthz" && up "$FRONTEND_URL/index.html"; then break; fi
  sleep 0.2
done
up "$FOLIO_URL/healthz" && up "$FRONTEND_URL/index.html" \
  || { echo "run-tests: the servers never answered; logs:" >&2; cat "$api_log" "$web_log" >&2; exit 2; }

step "seed the site's settings and About page"
FOLIO_TOKEN="$token" FOLIO_ADMIN_TOKEN="$admin_token" SITE_URL="$FRONTEND_URL" node seed-site.mjs

step "browser test (screenshots in $here/screenshots)"
status=0
FOLIO_TOKEN="$token" FOLIO_ADMIN_TOKEN="$admin_token" npm run --silent test || status=$?
stop
if [ "$status" -ne 0 ]; then
  echo "run-tests: the browser test failed; API log tail:" >&2
  tail -n 40 "$api_log" >&2
fi
rm -rf "$api_log" "$web_log" "$media_dir"
exit "$status"
