#!/usr/bin/env bash
# Runs the typed client's suite against a real Folio server.
#
#   FOLIO_BIN=/path/to/folio DATABASE_URL=postgres://.../empty_db clients/typescript/run-tests.sh
#
# Installs the pinned packages (npm ci), checks that src/schema.ts matches openapi/openapi.json, builds, seeds the
# demo blog into DATABASE_URL, creates a content:write token (FOLIO_TOKEN) and an admin one (FOLIO_ADMIN_TOKEN),
# serves the API on the first free port of FOLIO_TEST_PORTS (default 18180-18189), runs the tests with node's test
# runner and stops the server.
# The exit code is the tests' (or that of the first step that failed). Needs no standard input.
set -euo pipefail
exec </dev/null

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

: "${FOLIO_BIN:?FOLIO_BIN must name the folio binary}"
: "${DATABASE_URL:?DATABASE_URL must name an empty PostgreSQL database the tests may use}"
export DATABASE_URL
FOLIO_BIN="$(cd "$(dirname "$FOLIO_BIN")" && pwd)/$(basename "$FOLIO_BIN")"
[ -x "$FOLIO_BIN" ] || { echo "run-tests: $FOLIO_BIN is not executable" >&2; exit 2; }

step() { printf '\n== %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "npm run check:drift"
npm run --silent check:drift

step "npm run build"
npm run --silent build

step "seed the demo blog"
"$FOLIO_BIN" migrate
"$FOLIO_BIN" seed --demo
token="$("$FOLIO_BIN" token create --name "client-tests-$$" --scope content:write | sed -n 1p)"
case "$token" in folio_*) ;; *) echo "run-tests: no token from 'folio token create'" >&2; exit 2 ;; esac
admin_token="$("$FOLIO_BIN" token create --name "client-tests-admin-$$" --scope admin | sed -n 1p)"
case "$admin_token" in folio_*) ;; *) echo "run-tests: no admin token from 'folio token create'" >&2; exit 2 ;; esac

# The first port of the range nobody listens on.
range="${FOLIO_TEST_PORTS:-18180-18189}"
port="$(node -e '
  const net = require("node:net");
  const [lo, hi] = process.argv[1].split("-").map(Number);
  const free = (p) => new Promise((ok) => { const s = net.createServer();
    s.once("error", () => ok(false)); s.listen(p, "127.0.0.1", () => s.close(() => ok(true))); });
  (async () => { for (let p = lo; p <= (hi || lo); p++) if (await free(p)) { console.log(p); return; }
    process.exit(1); })();' "$range")" || { echo "run-tests: no free port in $range" >&2; exit 2; }

log="$(mktemp -t folio-client-tests.XXXXXX.log)"
step "serve on 127.0.0.1:$port (log: $log)"
media_dir="$(mktemp -d -t folio-client-media.XXXXXX)"
FOLIO_MEDIA_STORE="$media_dir" FOLIO_BIND="127.0.0.1:$port" RUST_LOG="${RUST_LOG:-warn}" "$FOLIO_BIN" serve >"$log" 2>&1 &
server=$!
stop() {
  if kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
}
trap stop EXIT

export FOLIO_URL="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "run-tests: the server exited; its log:" >&2; cat "$log" >&2; exit 2
  fi
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
      "$FOLIO_URL/healthz"; then
    break
  fi
  sleep 0.2
done
node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$FOLIO_URL/healthz" \
  || { echo "run-tests: $FOLIO_URL/healthz never answered; server log:" >&2; cat "$log" >&2; exit 2; }

step "node --test (FOLIO_URL=$FOLIO_URL)"
status=0
FOLIO_TOKEN="$token" FOLIO_ADMIN_TOKEN="$admin_token" npm run --silent test || status=$?
stop
if [ "$status" -ne 0 ]; then
  echo "run-tests: tests failed; server log tail:" >&2
  tail -n 40 "$log" >&2
fi
rm -rf "$log" "$media_dir"
exit "$status"
