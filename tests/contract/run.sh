#!/usr/bin/env bash
# Property-based contract test of Folio's whole OpenAPI document with schemathesis.
#
#   FOLIO_BIN=/path/to/folio DATABASE_URL=postgres://.../empty_db tests/contract/run.sh [extra st run args]
#
# Seeds the demo blog into DATABASE_URL (an empty database this script may fill and dirty), creates an admin
# token, starts Folio on a free loopback port with its default settings, waits for /healthz, runs
# schemathesis against the live /openapi.json with every operation (authenticated with the admin token), then
# stops the server and exits with schemathesis's exit code (0: no failure; 1: failures; 2+: could not run).
#
# Checks: every schemathesis check, in positive and negative mode, through the examples, coverage, fuzzing and
# stateful phases, against the server's default settings (limits included). A failed check fails the run
# unless argued.tsv argues it (verdict.py; README.md says why each argued expectation does not apply). schemathesis.toml
# beside this script adds edge-value dictionaries (blank strings, timestamps outside years 1-9999, valid URLs and
# author slugs) and turns off schemathesis's cross-run cache. With a fixed seed the generated inputs repeat; the
# server's state (ids, clocks, what earlier cases created or deleted) does not, so the exact failing cases can vary
# a little between runs, the failing operations rarely.
#
# Environment:
#   FOLIO_BIN       the folio binary (required)
#   DATABASE_URL    an empty PostgreSQL database (required)
#   ST              the schemathesis CLI (default: `st` on PATH; `pip install -r tests/contract/requirements.txt`)
#   FOLIO_PORTS     candidate ports, space separated (default: 18190..18199)
#   ST_SEED         hypothesis seed (default 20261123)
#   ST_MAX_EXAMPLES examples per operation and phase (default 200: about 1-2 minutes on 2 cores)
#   ST_WORKERS      schemathesis workers (default 1: deterministic order)
#   ST_CHECKS       checks to run (default: all of schemathesis's checks)
#   REPORT_DIR      where reports and the server log go (default: a fresh temp dir, printed)
set -euo pipefail
exec </dev/null

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${FOLIO_BIN:?set FOLIO_BIN to the folio binary}"
: "${DATABASE_URL:?set DATABASE_URL to an empty database}"
export DATABASE_URL
ST="${ST:-st}"
ST_SEED="${ST_SEED:-20261123}"
ST_MAX_EXAMPLES="${ST_MAX_EXAMPLES:-200}"
ST_WORKERS="${ST_WORKERS:-1}"
ST_CHECKS="${ST_CHECKS:-all}"
REPORT_DIR="${REPORT_DIR:-$(mktemp -d -t folio-contract.XXXXXX)}"
mkdir -p "$REPORT_DIR"
REPORT_DIR="$(cd "$REPORT_DIR" && pwd)"
[ -x "$FOLIO_BIN" ] || { echo "FOLIO_BIN=$FOLIO_BIN is not an executable" >&2; exit 2; }

command -v "$ST" >/dev/null || { echo "schemathesis CLI '$ST' not found: pip install -r $here/requirements.txt" >&2; exit 2; }
pinned="$(sed -n 's/^schemathesis==//p' "$here/requirements.txt")"
case "$("$ST" --version)" in *"$pinned"*) ;; *) echo "warning: $("$ST" --version) is not the pinned schemathesis $pinned" >&2 ;; esac

port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}
port=""
for p in ${FOLIO_PORTS:-$(seq 18190 18199)}; do
  if port_free "$p"; then port="$p"; break; fi
done
[ -n "$port" ] || { echo "no free port among ${FOLIO_PORTS:-18190-18199}" >&2; exit 2; }
base="http://127.0.0.1:$port"

echo "== seeding demo blog into $DATABASE_URL"
"$FOLIO_BIN" seed --demo
token_out="$("$FOLIO_BIN" token create --name contract-test --scope admin)"
token="${token_out%%$'\n'*}"
case "$token" in folio_*) ;; *) echo "unexpected token output" >&2; exit 2 ;; esac

echo "== starting folio on $base (log: $REPORT_DIR/folio.log)"
media_dir="$(mktemp -d -t folio-contract-media.XXXXXX)"
FOLIO_MEDIA_STORE="$media_dir" FOLIO_BIND="127.0.0.1:$port" "$FOLIO_BIN" serve >"$REPORT_DIR/folio.log" 2>&1 &
server_pid=$!
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$media_dir"
}
trap stop_server EXIT

for _ in $(seq 1 150); do
  if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "folio exited early:" >&2; cat "$REPORT_DIR/folio.log" >&2; exit 2; }
  sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null || { echo "folio did not become healthy" >&2; exit 2; }

# `--include-path-regex .` selects every operation explicitly: without an explicit filter schemathesis leaves
# out the operation that served the schema itself (GET /openapi.json) while still counting it as selected.
st_args=(
  run "$base/openapi.json"
  --url "$base"
  --include-path-regex '.'
  --header "Authorization: Bearer $token"
  --checks "$ST_CHECKS"
  --mode all
  --phases examples,coverage,fuzzing,stateful
  --seed "$ST_SEED"
  --max-examples "$ST_MAX_EXAMPLES"
  --workers "$ST_WORKERS"
  --generation-database none
  --request-timeout 10
  --max-redirects 0
  --continue-on-failure
  --no-color
  --report junit,ndjson,vcr
  --report-dir "$REPORT_DIR"
  "$@"
)
echo "== $("$ST" --version) against $base/openapi.json"
echo "   $ST --config-file $here/schemathesis.toml ${st_args[*]//$token/\$TOKEN}"
cd "$REPORT_DIR"   # schemathesis writes nothing into the repository
set +e
"$ST" --config-file "$here/schemathesis.toml" "${st_args[@]}"
rc=$?
set -e

# A run that revoked or broke its own token would have tested little but 401s: say so.
if ! curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base/api/v1/tokens"; then
  echo "WARNING: the admin token no longer works after the run; authenticated operations may have seen only 401s" >&2
fi
echo "== schemathesis exited $rc after ${SECONDS}s in all; reports and server log in $REPORT_DIR"
echo "   per-operation summary: python3 $here/summarize.py $REPORT_DIR"
# Failures are allowed only where argued.tsv argues that the checker's expectation does not apply.
if [ "$rc" = 1 ]; then
  echo "== verdict: every failed check must be argued in $here/argued.tsv"
  python3 "$here/verdict.py" "$REPORT_DIR" "$here/argued.tsv" && rc=0
fi
exit "$rc"
