#!/usr/bin/env bash
# End to end against a real Folio server: a receiver killed for 10 seconds in the middle of a publishing burst
# still gets every event afterwards, once each, each verified by the `standardwebhooks` library.
#
#   FOLIO_BIN=/path/to/folio DATABASE_URL=postgres://.../empty_db examples/webhook-receiver/run-e2e.sh
#
# Installs the receiver's pinned packages (npm ci), migrates DATABASE_URL, creates an admin token, serves Folio on
# a free port (dispatching every 100 ms, loopback webhooks allowed), registers a webhook for `article.*` aimed at
# the receiver on another free port and starts the receiver with an EVENTS_LOG. Then it publishes 60 articles over
# about 8 seconds; 2 seconds in, it kills the receiver (SIGKILL), keeps it down 10 seconds and starts it again on
# the same port with the same EVENTS_LOG. It waits (up to E2E_TIMEOUT seconds, default 180) for the 60
# `article.published` events and checks that each was logged exactly once (one line per webhook-id), every slug is
# there, their positions are distinct, they are the ids of Folio's delivery log, all 60 deliveries are `delivered`
# and at least one needed more than one attempt. Prints a summary line; on failure, exits non-zero with the tails
# of the server's and the receiver's logs. Needs no standard input.
set -euo pipefail
exec </dev/null

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

: "${FOLIO_BIN:?FOLIO_BIN must name the folio binary}"
: "${DATABASE_URL:?DATABASE_URL must name an empty PostgreSQL database the test may use}"
export DATABASE_URL
FOLIO_BIN="$(cd "$(dirname "$FOLIO_BIN")" && pwd)/$(basename "$FOLIO_BIN")"
[ -x "$FOLIO_BIN" ] || { echo "run-e2e: $FOLIO_BIN is not executable" >&2; exit 2; }

COUNT=60            # articles published
SPREAD_MS=8000      # over this long
KILL_AFTER_S=2      # into the burst, the receiver is killed...
DOWN_S=10           # ...and kept down this long
TIMEOUT_S="${E2E_TIMEOUT:-180}"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "run-e2e: FAILED: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }

work="$(mktemp -d -t folio-webhook-e2e.XXXXXX)"
server_log="$work/server.log"
receiver_log="$work/receiver.log"
events="$work/events.jsonl"
deliveries="$work/deliveries.json"
server=""
receiver=""
burster=""

# Sends TERM to $1 and waits up to 10 s for it to exit, then KILL.
stop_pid() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT
  if [ -n "$burster" ]; then kill "$burster" 2>/dev/null || true; wait "$burster" 2>/dev/null || true; fi
  stop_pid "$receiver"
  stop_pid "$server"
  if [ "$status" -ne 0 ]; then
    if [ -s "$server_log" ]; then echo "run-e2e: server log tail:" >&2; tail -n 40 "$server_log" >&2; fi
    if [ -s "$receiver_log" ]; then echo "run-e2e: receiver log tail:" >&2; tail -n 20 "$receiver_log" >&2; fi
    echo "run-e2e: logs, events and the delivery log kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT

# A port nobody listens on now (the OS's choice).
free_port() {
  node -e 'const s = require("node:net").createServer();
    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# api OUT METHOD PATH [JSON]: the answer's body in the file OUT, its status code on stdout ("000": no answer).
api() {
  local out="$1" method="$2" path="$3"
  local args=(-sS -o "$out" -w '%{http_code}' -X "$method" -H "authorization: Bearer $token")
  if [ $# -ge 4 ]; then args+=(-H 'content-type: application/json' --data-binary "$4"); fi
  curl "${args[@]}" "$base$path" || true
}

# json FILE EXPR: the JavaScript expression EXPR, with `j` the parsed FILE, printed (strings as they are).
json() {
  node -e 'const j = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const v = eval(process.argv[2]); console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "migrate and create an admin token"
"$FOLIO_BIN" migrate
token="$("$FOLIO_BIN" token create --name "e2e-$$" --scope admin | sed -n 1p)"
case "$token" in folio_*) ;; *) fail "no token from 'folio token create'" ;; esac

port="$(free_port)"
rport="$(free_port)"
while [ "$rport" = "$port" ]; do rport="$(free_port)"; done
base="http://127.0.0.1:$port"

step "serve on 127.0.0.1:$port (log: $server_log)"
FOLIO_BIND="127.0.0.1:$port" FOLIO_WEBHOOK_ALLOW_PRIVATE=true FOLIO_DISPATCH_INTERVAL_MS=100 RUST_LOG=warn \
  "$FOLIO_BIN" serve >"$server_log" 2>&1 &
server=$!
for _ in $(seq 1 150); do
  kill -0 "$server" 2>/dev/null || fail "the server exited"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz" || true)" = 200 ] && break
  sleep 0.2
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz" || true)" = 200 ] || fail "$base/healthz never answered"

step "create the webhook for http://127.0.0.1:$rport/webhooks/folio"
code="$(api "$work/webhook.json" POST /api/v1/webhooks \
  "{\"url\": \"http://127.0.0.1:$rport/webhooks/folio\", \"events\": [\"article.*\"]}")"
[ "$code" = 201 ] || fail "POST /api/v1/webhooks answered $code: $(cat "$work/webhook.json" 2>/dev/null)"
webhook_id="$(json "$work/webhook.json" 'j.webhook.id')"
secret="$(json "$work/webhook.json" 'j.secret')"
case "$secret" in whsec_*) ;; *) fail "no whsec_ secret in the answer: $(cat "$work/webhook.json")" ;; esac

# Starts the receiver on $rport (appending to its log) and waits until it answers.
start_receiver() {
  WEBHOOK_SECRET="$secret" PORT="$rport" EVENTS_LOG="$events" node receiver.mjs >>"$receiver_log" 2>&1 &
  receiver=$!
  for _ in $(seq 1 100); do
    kill -0 "$receiver" 2>/dev/null || fail "the receiver exited"
    # It answers a GET with 405: listening.
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rport/webhooks/folio" || true)" = 405 ] && return 0
    sleep 0.1
  done
  fail "the receiver never answered on port $rport"
}

step "start the receiver on 127.0.0.1:$rport (events: $events)"
start_receiver

# PUTs the COUNT articles, one every SPREAD_MS/COUNT ms (by the clock, so slow answers don't stretch the burst).
burst() {
  local i code start next rest
  start="$(now_ms)"
  for i in $(seq 1 "$COUNT"); do
    code="$(api "$work/burst-answer.json" PUT "/api/v1/articles/e2e-burst-$i" \
      "{\"title\": \"Burst $i\", \"body_markdown\": \"Body $i\", \"status\": \"published\"}")"
    case "$code" in
      200 | 201) ;;
      *) echo "PUT /api/v1/articles/e2e-burst-$i answered $code: $(cat "$work/burst-answer.json" 2>/dev/null)"; return 1 ;;
    esac
    next=$((start + i * SPREAD_MS / COUNT))
    rest=$((next - $(now_ms)))
    if [ "$rest" -gt 0 ]; then sleep "$((rest / 1000)).$(printf '%03d' $((rest % 1000)))"; fi
  done
  echo "$COUNT articles published in $(($(now_ms) - start)) ms"
}

step "publish $COUNT articles over ~$((SPREAD_MS / 1000)) s; kill the receiver ${KILL_AFTER_S} s in, for ${DOWN_S} s"
burst_start="$(now_ms)"
burst >"$work/burst.log" 2>&1 &
burster=$!
sleep "$KILL_AFTER_S"
kill -KILL "$receiver"
wait "$receiver" 2>/dev/null || true
kill_ms="$(now_ms)"
receiver=""
before_kill=0
if [ -f "$events" ]; then before_kill="$(grep -c . "$events" || true)"; fi
echo "receiver killed $((kill_ms - burst_start)) ms into the burst, with $before_kill events logged"
sleep "$DOWN_S"
start_receiver
down_ms=$(($(now_ms) - kill_ms))
echo "receiver answering again $down_ms ms after the kill"
burst_status=0
wait "$burster" || burst_status=$?
burster=""
cat "$work/burst.log"
[ "$burst_status" -eq 0 ] || fail "the burst failed"

# The number of distinct burst slugs among the article.published events logged.
published_slugs() {
  node -e 'const fs = require("node:fs"); let text = ""; try { text = fs.readFileSync(process.argv[1], "utf8"); } catch {}
    const slugs = new Set();
    for (const line of text.split("\n")) { try { const e = JSON.parse(line);
      if (e.type === "article.published" && /^e2e-burst-\d+$/.test(e.slug)) slugs.add(e.slug); } catch {} }
    console.log(slugs.size);' "$events"
}

# The endpoint's whole delivery log (every page of 100) as one JSON array in $deliveries.
fetch_deliveries() {
  local path="/api/v1/webhooks/$webhook_id/deliveries?limit=100" page=0 code
  echo "[]" >"$deliveries"
  while [ -n "$path" ]; do
    page=$((page + 1))
    code="$(api "$work/page.json" GET "$path")"
    [ "$code" = 200 ] || fail "GET $path answered $code: $(cat "$work/page.json" 2>/dev/null)"
    node -e 'const fs = require("node:fs"); const [all, page] = process.argv.slice(1);
      fs.writeFileSync(all, JSON.stringify(JSON.parse(fs.readFileSync(all, "utf8"))
        .concat(JSON.parse(fs.readFileSync(page, "utf8")).data)));' "$deliveries" "$work/page.json"
    path="$(json "$work/page.json" 'j.links.next ?? ""')"
    [ "$page" -lt 50 ] || fail "more than 50 pages of deliveries"
  done
}

# How many of the burst's article.published deliveries are still pending (or missing from the log).
unfinished_deliveries() {
  json "$deliveries" "$COUNT - j.filter((d) => d.event_type === 'article.published'
    && /^e2e-burst-\\d+\$/.test(d.payload?.data?.slug ?? '') && d.status !== 'pending').length"
}

step "wait up to ${TIMEOUT_S} s for the $COUNT article.published events"
deadline=$((SECONDS + TIMEOUT_S))
while [ "$(published_slugs)" -lt "$COUNT" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
echo "$(published_slugs) of $COUNT events logged"
# The receiver records an event before answering, so the last deliveries may be marked delivered just after.
fetch_deliveries
while [ "$(unfinished_deliveries)" -gt 0 ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.5
  fetch_deliveries
done
echo "$(json "$deliveries" 'j.length') deliveries in Folio's log, $(unfinished_deliveries) of the burst's still pending"

step "check"
duplicates="$(grep -c ' duplicate ' "$receiver_log" || true)"
node -e '
  const fs = require("node:fs");
  const [eventsFile, deliveriesFile, count, killMs, downMs, duplicates] = process.argv.slice(1);
  const n = Number(count);
  const problems = [];
  const burstSlug = /^e2e-burst-(\d+)$/;

  const lines = (fs.existsSync(eventsFile) ? fs.readFileSync(eventsFile, "utf8") : "").split("\n").filter(Boolean);
  const events = [];
  for (const line of lines) {
    try { events.push(JSON.parse(line)); } catch { problems.push(`a line of the events log is not JSON: ${line}`); }
  }
  const ours = events.filter((e) => e.type === "article.published" && burstSlug.test(e.slug ?? ""));
  const others = events.length - ours.length;

  if (ours.length !== n) problems.push(`${ours.length} article.published lines for the burst, expected ${n}`);
  const ids = new Set(ours.map((e) => e.webhook_id));
  if (ids.size !== ours.length) problems.push(`${ours.length - ids.size} webhook-ids logged more than once`);
  const slugs = new Set(ours.map((e) => e.slug));
  const missing = [];
  for (let i = 1; i <= n; i++) if (!slugs.has(`e2e-burst-${i}`)) missing.push(`e2e-burst-${i}`);
  if (missing.length) problems.push(`no event for ${missing.join(", ")}`);
  if (slugs.size !== ours.length) problems.push(`${ours.length - slugs.size} slugs logged more than once`);
  const positions = ours.map((e) => e.position);
  if (!positions.every((p) => Number.isInteger(p) && p > 0)) problems.push(`positions not all positive integers: ${positions}`);
  if (new Set(positions).size !== positions.length) problems.push(`positions not distinct: ${positions}`);

  const all = JSON.parse(fs.readFileSync(deliveriesFile, "utf8"));
  const delivered = all.filter((d) => d.event_type === "article.published" && burstSlug.test(d.payload?.data?.slug ?? ""));
  if (delivered.length !== n) problems.push(`${delivered.length} article.published deliveries for the burst in Folio, expected ${n}`);
  const notDelivered = delivered.filter((d) => d.status !== "delivered");
  if (notDelivered.length) {
    // Each without its payload, one a line; the whole log stays in the kept deliveries.json.
    const shown = notDelivered.slice(0, 10).map(({ payload, ...d }) => JSON.stringify(d));
    if (notDelivered.length > 10) shown.push(`... ${notDelivered.length - 10} more in ${deliveriesFile}`);
    problems.push(`${notDelivered.length} deliveries not delivered:\n${shown.join("\n")}`);
  }
  const messageIds = new Set(delivered.map((d) => d.message_id));
  const strangers = ours.filter((e) => !messageIds.has(e.webhook_id)).map((e) => e.webhook_id);
  if (strangers.length) problems.push(`webhook-ids logged that are no delivery of the burst: ${strangers.join(", ")}`);
  const byPosition = new Map(delivered.map((d) => [d.position, d]));
  for (const e of ours) {
    const d = byPosition.get(e.position);
    if (d && (d.message_id !== e.webhook_id || d.payload?.data?.slug !== e.slug)) {
      problems.push(`position ${e.position}: logged ${e.webhook_id} ${e.slug}, Folio sent ${d.message_id} ${d.payload?.data?.slug}`);
    }
  }
  const retried = delivered.filter((d) => d.attempts.length > 1);
  if (retried.length === 0) problems.push("no delivery needed more than one attempt: the kill caused no failure");
  const attempts = delivered.reduce((sum, d) => sum + d.attempts.length, 0);
  const failures = delivered.flatMap((d) => d.attempts.filter((a) => a.error)).map((a) => a.error);
  const reasons = [...new Set(failures.map((e) => e.replace(/\d+/g, "N")))];

  const last = Math.max(...ours.map((e) => Date.parse(e.received_at)));
  const afterKill = ((last - Number(killMs)) / 1000).toFixed(1);
  if (problems.length) {
    console.error(problems.map((p) => `run-e2e: FAILED: ${p}`).join("\n"));
    process.exit(1);
  }
  console.log(`failed attempts: ${failures.length}; their errors: ${reasons.join(" | ")}`);
  console.log(`run-e2e: ok: ${ours.length} events received, each once (${others} other events logged, ` +
    `${duplicates} retries of handled ids answered as duplicates); ${n} deliveries delivered, ${retried.length} ` +
    `retried (${attempts} attempts in all); receiver down ${(downMs / 1000).toFixed(1)} s; last event ${afterKill} s after the kill`);
' "$events" "$deliveries" "$COUNT" "$kill_ms" "$down_ms" "$duplicates"
