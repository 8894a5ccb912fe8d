// A receiver for Folio's webhooks: verifies each delivery's Standard Webhooks signature, records new events,
// and runs a rebuild command once per burst of changes. node:http only; `node receiver.mjs` with the env below.
//
//   WEBHOOK_SECRET       required, the `whsec_...` secret Folio showed when the webhook was created
//   PORT, HOST           where to listen (default 8787 on 127.0.0.1); PORT=0 picks a free port
//   REBUILD_COMMAND      optional shell command, run after events (debounced, never two at once)
//   REBUILD_DEBOUNCE_MS  quiet period before a rebuild starts (default 2000)
//   REBUILD_ON           optional comma list of event types that trigger it (`article.*` allowed);
//                        default: every type except `ping`
//   EVENTS_LOG           optional file: one JSON line per newly seen event
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { createServer } from "node:http";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

const PATH = "/webhooks/folio";
const MAX_BODY = 1024 * 1024; // Folio's events are a few KiB; anything this big is not from Folio
const SEEN_MAX = 10_000; // webhook-ids remembered for deduplication (retries come within hours, not days)

const env = process.env;
const log = (...parts) => console.log(new Date().toISOString(), ...parts);

let webhook;
try {
    if (!env.WEBHOOK_SECRET) throw new Error("WEBHOOK_SECRET is not set");
    // The library strips `whsec_` and base64-decodes the rest: the HMAC key is those bytes.
    webhook = new Webhook(env.WEBHOOK_SECRET);
} catch (err) {
    console.error(`webhook-receiver: ${err.message} (expected the whsec_... secret Folio showed once)`);
    process.exit(2);
}

const port = Number(env.PORT || 8787);
const host = env.HOST || "127.0.0.1";
const eventsLog = env.EVENTS_LOG || null;
const rebuildOn = (env.REBUILD_ON ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

// --- Deduplication -----------------------------------------------------------------------------------------
// Folio retries a delivery (same webhook-id) when our answer is lost or late, so the same event can arrive
// twice. A Set keeps insertion order: deleting its first entry forgets the oldest id.
const seen = new Set();
function remember(id) {
    seen.add(id);
    if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value);
}
// After a restart, the events log tells which ids were already handled, so a retry of a delivery that
// arrived just before the restart is still recognised.
if (eventsLog) {
    try {
        const lines = readFileSync(eventsLog, "utf8").split("\n").slice(-SEEN_MAX - 1);
        for (const line of lines) {
            try {
                const id = JSON.parse(line).webhook_id;
                if (id) remember(id);
            } catch {
                // an empty or torn line (a crash mid-write): skip it
            }
        }
    } catch (err) {
        if (err.code !== "ENOENT") throw err;
    }
}

// --- Rebuild -----------------------------------------------------------------------------------------------
// Publishing often comes in bursts (an article, its tags, its author), so wait for a quiet period and build
// once. A build never overlaps another: a request that comes while one runs asks for one more run after it,
// so the last change is always in the last build.
const rebuild = {
    command: env.REBUILD_COMMAND || null,
    debounceMs: Number(env.REBUILD_DEBOUNCE_MS || 2000),
    timer: null,
    running: null, // the child process while a build runs
    again: false,

    request() {
        if (!this.command) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
            this.timer = null;
            if (this.running) this.again = true;
            else this.run();
        }, this.debounceMs);
    },

    run() {
        log(`rebuild started: ${this.command}`);
        const started = Date.now();
        // stdout/stderr go to ours, so the build's output sits between the receiver's log lines.
        this.running = spawn(this.command, { shell: true, stdio: ["ignore", "inherit", "inherit"] });
        this.running.on("error", (err) => log(`rebuild could not start: ${err.message}`));
        this.running.on("close", (code, signal) => {
            this.running = null;
            log(`rebuild finished: ${signal ?? `exit ${code}`} in ${Date.now() - started} ms`);
            if (this.again) {
                this.again = false;
                this.run();
            }
        });
    },
};

function triggersRebuild(type) {
    if (rebuildOn.length === 0) return type !== "ping";
    return rebuildOn.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
}

// --- HTTP --------------------------------------------------------------------------------------------------
function reply(res, status, headers = {}, body = "") {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers });
    res.end(body);
}

class TooLarge extends Error {}

// The signature covers the exact bytes sent, so verify the raw body, never a re-serialised parse of it.
function readBody(req) {
    return new Promise((resolve, reject) => {
        if (Number(req.headers["content-length"]) > MAX_BODY) return reject(new TooLarge());
        const chunks = [];
        let size = 0;
        req.on("data", (chunk) => {
            size += chunk.length;
            if (size > MAX_BODY) {
                req.removeAllListeners("data");
                reject(new TooLarge());
            } else chunks.push(chunk);
        });
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}

async function handle(req, res) {
    if (req.url.split("?")[0] !== PATH) return reply(res, 404, {}, "not found\n");
    if (req.method !== "POST") return reply(res, 405, { allow: "POST" }, "method not allowed\n");

    let body;
    try {
        body = await readBody(req);
    } catch (err) {
        if (!(err instanceof TooLarge)) return; // the client went away
        // Close the connection rather than read the rest of an oversized body.
        return reply(res, 413, { connection: "close" }, "payload too large\n");
    }

    const id = req.headers["webhook-id"];
    let event;
    try {
        // Checks the HMAC against every `v1,` signature in the header (several during a secret rotation)
        // and that webhook-timestamp is within 5 minutes, so a captured request can't be replayed later.
        event = webhook.verify(body, req.headers);
    } catch (err) {
        const why = err instanceof WebhookVerificationError ? err.message : `body is not JSON (${err.message})`;
        log(`rejected ${id ?? "(no webhook-id)"}: ${why}`);
        return reply(res, 400, {}, "invalid webhook\n");
    }
    if (typeof event?.type !== "string") {
        log(`rejected ${id}: no event type`);
        return reply(res, 400, {}, "invalid webhook\n");
    }

    if (seen.has(id)) {
        log(`duplicate ${id} (${event.type}): already handled`);
        return reply(res, 204);
    }
    // Remember before the await below, so a retry arriving meanwhile isn't handled twice.
    remember(id);

    const data = event.data ?? {};
    if (eventsLog) {
        const record = {
            webhook_id: id,
            type: event.type,
            position: data.position ?? null,
            slug: data.slug ?? null,
            received_at: new Date().toISOString(),
        };
        try {
            // Recorded before answering: if this fails, a 500 makes Folio retry rather than lose the event.
            await appendFile(eventsLog, `${JSON.stringify(record)}\n`);
        } catch (err) {
            seen.delete(id);
            log(`could not record ${id}: ${err.message}`);
            return reply(res, 500, {}, "could not record the event\n");
        }
    }

    // Answer now: Folio waits for it, and the rebuild may take minutes.
    reply(res, 204);
    const where = data.position != null ? ` #${data.position}` : "";
    const what = data.slug ? ` ${data.slug}` : data.id ? ` ${data.id}` : "";
    log(`${event.type}${where}${what} (${id})`);
    if (triggersRebuild(event.type)) rebuild.request();
}

const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
        log(`error: ${err.stack}`);
        if (!res.headersSent) reply(res, 500, {}, "internal error\n");
    });
});
// A slow or stalled client must not hold a connection open for long.
server.requestTimeout = 30_000;

server.listen(port, host, () => {
    const { address, port: bound } = server.address();
    const shown = address.includes(":") ? `[${address}]` : address;
    log(`listening on http://${shown}:${bound}${PATH}`);
});

// Stop accepting deliveries (Folio retries whatever fails meanwhile), drop a rebuild that has not started,
// and let a running one finish: the process exits once nothing is left. A second signal exits at once.
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
        if (stopping) process.exit(1);
        stopping = true;
        log(`${signal}: closing`);
        if (rebuild.timer) log("a pending rebuild was dropped");
        clearTimeout(rebuild.timer);
        rebuild.again = false;
        server.close();
    });
}
