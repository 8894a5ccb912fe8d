// Starts receiver.mjs as a child process on a free port (PORT=0) with a fresh secret, and sends it deliveries
// signed as Folio signs them, with the standardwebhooks library's own `sign`.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Webhook } from "standardwebhooks";

const RECEIVER = new URL("../receiver.mjs", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "folio-webhook-receiver-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;
const readLines = (file) => {
    try {
        return readFileSync(file, "utf8").split("\n").filter(Boolean);
    } catch (err) {
        if (err.code === "ENOENT") return [];
        throw err;
    }
};

/** Starts a receiver; resolves once it prints its URL. */
function startReceiver(env) {
    const child = spawn(process.execPath, [RECEIVER], {
        env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    const lines = [];
    let stderr = "";
    const waiters = [];
    let buffered = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
        buffered += chunk;
        const parts = buffered.split("\n");
        buffered = parts.pop();
        for (const line of parts) {
            lines.push(line);
            for (const w of [...waiters]) if (w.re.test(line)) w.resolve(line);
        }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

    /** Resolves with the `count`-th stdout line matching `re` (seen already or to come). */
    function waitFor(re, count = 1, timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(
                () => reject(new Error(`timed out waiting for ${re}; stdout:\n${lines.join("\n")}\n${stderr}`)),
                timeoutMs,
            );
            const matched = () => lines.filter((l) => re.test(l));
            const check = () => {
                const m = matched();
                if (m.length >= count) {
                    clearTimeout(timer);
                    waiters.splice(waiters.indexOf(w), 1);
                    resolve(m[count - 1]);
                }
            };
            const w = { re, resolve: check };
            waiters.push(w);
            check();
        });
    }

    const r = {
        child,
        lines,
        waitFor,
        exited,
        url: null,
        /** SIGTERM, then the exit status. */
        async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            return exited;
        },
    };
    return Promise.race([
        waitFor(/listening on /).then((line) => {
            r.url = line.slice(line.indexOf("http://"));
            return r;
        }),
        exited.then(({ code }) => {
            throw new Error(`receiver exited with ${code}: ${stderr}`);
        }),
    ]);
}

let counter = 0;
function articleEvent(type = "article.published", slug = "hello") {
    counter += 1;
    return {
        type,
        timestamp: new Date().toISOString(),
        data: {
            position: counter,
            type,
            at: new Date().toISOString(),
            resource: "article",
            id: randomUUID(),
            slug,
            previous_slug: null,
            article: { slug, title: "Hello" },
        },
    };
}

/** Sends `event` as Folio would: signed with `secret` at `timestamp` (a Date), as webhook `id`. */
async function deliver(url, secret, event, { id = `msg_${randomBytes(12).toString("hex")}`, timestamp = new Date() } = {}) {
    const body = JSON.stringify(event);
    const res = await fetch(url, {
        method: "POST",
        headers: {
            "content-type": "application/json",
            "webhook-id": id,
            "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
            "webhook-signature": new Webhook(secret).sign(id, timestamp, body),
        },
        body,
    });
    await res.arrayBuffer();
    return { status: res.status, id };
}

describe("verification, deduplication and the events log", () => {
    const secret = newSecret();
    const eventsLog = join(dir, "events.jsonl");
    let receiver;
    before(async () => {
        receiver = await startReceiver({ WEBHOOK_SECRET: secret, EVENTS_LOG: eventsLog });
    });
    after(() => receiver.stop());

    test("a valid event answers 204 and is recorded once per webhook-id", async () => {
        const event = articleEvent("article.published", "hello-world");
        const first = await deliver(receiver.url, secret, event);
        assert.equal(first.status, 204);
        let lines = readLines(eventsLog).map((l) => JSON.parse(l));
        assert.equal(lines.length, 1);
        assert.deepEqual(Object.keys(lines[0]).sort(), ["position", "received_at", "slug", "type", "webhook_id"]);
        assert.equal(lines[0].webhook_id, first.id);
        assert.equal(lines[0].type, "article.published");
        assert.equal(lines[0].slug, "hello-world");
        assert.equal(lines[0].position, event.data.position);
        await receiver.waitFor(new RegExp(`article\\.published #${event.data.position} hello-world \\(${first.id}\\)`));

        // Folio's retry: same id, re-signed with a fresh timestamp.
        const retry = await deliver(receiver.url, secret, event, { id: first.id });
        assert.equal(retry.status, 204);
        await receiver.waitFor(new RegExp(`duplicate ${first.id}`));
        lines = readLines(eventsLog);
        assert.equal(lines.length, 1, "a duplicate is not recorded again");
    });

    test("a signature made with another secret answers 400", async () => {
        const count = readLines(eventsLog).length;
        const { status, id } = await deliver(receiver.url, newSecret(), articleEvent());
        assert.equal(status, 400);
        await receiver.waitFor(new RegExp(`rejected ${id}: No matching signature found`));
        assert.equal(readLines(eventsLog).length, count);
    });

    test("a tampered body answers 400", async () => {
        const id = "msg_tampered";
        const now = new Date();
        const signed = JSON.stringify(articleEvent());
        const res = await fetch(receiver.url, {
            method: "POST",
            headers: {
                "content-type": "application/json",
                "webhook-id": id,
                "webhook-timestamp": String(Math.floor(now / 1000)),
                "webhook-signature": new Webhook(secret).sign(id, now, signed),
            },
            body: signed.replace("hello", "evil!"),
        });
        assert.equal(res.status, 400);
    });

    test("during a secret rotation, one matching signature of several is enough", async () => {
        const id = `msg_${randomBytes(12).toString("hex")}`;
        const now = new Date();
        const body = JSON.stringify(articleEvent());
        const res = await fetch(receiver.url, {
            method: "POST",
            headers: {
                "content-type": "application/json",
                "webhook-id": id,
                "webhook-timestamp": String(Math.floor(now / 1000)),
                // Signed with the old secret (unknown here) and the new one.
                "webhook-signature": `${new Webhook(newSecret()).sign(id, now, body)} ${new Webhook(secret).sign(id, now, body)}`,
            },
            body,
        });
        assert.equal(res.status, 204);
    });

    test("a stale timestamp answers 400, even correctly signed", async () => {
        const tenMinutesAgo = new Date(Date.now() - 10 * 60 * 1000);
        const { status, id } = await deliver(receiver.url, secret, articleEvent(), { timestamp: tenMinutesAgo });
        assert.equal(status, 400);
        await receiver.waitFor(new RegExp(`rejected ${id}: Message timestamp too old`));
    });

    test("missing headers answer 400", async () => {
        const res = await fetch(receiver.url, { method: "POST", body: JSON.stringify(articleEvent()) });
        assert.equal(res.status, 400);
    });

    test("GET answers 405, another path 404", async () => {
        const get = await fetch(receiver.url);
        assert.equal(get.status, 405);
        assert.equal(get.headers.get("allow"), "POST");
        const other = await fetch(new URL("/other", receiver.url), { method: "POST", body: "{}" });
        assert.equal(other.status, 404);
    });

    test("a body over 1 MiB answers 413", async () => {
        // Announce 2 MB and send nothing: the receiver answers from the header alone.
        const status = await new Promise((resolve, reject) => {
            const req = request(receiver.url, {
                method: "POST",
                headers: { "content-type": "application/json", "content-length": String(2_000_000) },
            });
            req.on("response", (res) => {
                res.resume();
                resolve(res.statusCode);
                req.destroy();
            });
            req.on("error", reject);
            req.flushHeaders();
        });
        assert.equal(status, 413);
    });

    test("a ping is recorded with no position or slug", async () => {
        const ping = { type: "ping", timestamp: new Date().toISOString(), data: { webhook_id: randomUUID() } };
        const { status, id } = await deliver(receiver.url, secret, ping);
        assert.equal(status, 204);
        const last = JSON.parse(readLines(eventsLog).at(-1));
        assert.deepEqual({ ...last, received_at: null }, {
            webhook_id: id,
            type: "ping",
            position: null,
            slug: null,
            received_at: null,
        });
    });

    test("after a restart, ids in the events log are still known", async () => {
        const { code } = await receiver.stop();
        assert.equal(code, 0, "SIGTERM closes the server and exits cleanly");
        const known = JSON.parse(readLines(eventsLog)[0]).webhook_id;
        const count = readLines(eventsLog).length;

        receiver = await startReceiver({ WEBHOOK_SECRET: secret, EVENTS_LOG: eventsLog });
        const { status } = await deliver(receiver.url, secret, articleEvent(), { id: known });
        assert.equal(status, 204);
        assert.equal(readLines(eventsLog).length, count);
    });
});

describe("REBUILD_COMMAND", () => {
    test("runs once for a burst of events, and not for a ping", async () => {
        const secret = newSecret();
        const out = join(dir, "rebuilds-burst.txt");
        const receiver = await startReceiver({
            WEBHOOK_SECRET: secret,
            REBUILD_COMMAND: `echo built >> "${out}"`,
            REBUILD_DEBOUNCE_MS: "500",
        });
        try {
            for (let i = 0; i < 5; i++) {
                const { status } = await deliver(receiver.url, secret, articleEvent("article.updated", `post-${i}`));
                assert.equal(status, 204);
            }
            await receiver.waitFor(/rebuild finished: exit 0/);
            // Well past another debounce period: still one run.
            await sleep(1200);
            assert.deepEqual(readLines(out), ["built"]);

            const ping = { type: "ping", timestamp: new Date().toISOString(), data: { webhook_id: randomUUID() } };
            assert.equal((await deliver(receiver.url, secret, ping)).status, 204);
            await sleep(1200);
            assert.deepEqual(readLines(out), ["built"], "a ping does not rebuild");
        } finally {
            await receiver.stop();
        }
    });

    test("an event during a build causes exactly one more build, after it", async () => {
        const secret = newSecret();
        const out = join(dir, "rebuilds-overlap.txt");
        const receiver = await startReceiver({
            WEBHOOK_SECRET: secret,
            REBUILD_COMMAND: `echo start >> "${out}"; sleep 1; echo end >> "${out}"`,
            REBUILD_DEBOUNCE_MS: "100",
        });
        try {
            await deliver(receiver.url, secret, articleEvent());
            await receiver.waitFor(/rebuild started/);
            // Two events while the first build runs (its debounce fires mid-build): one more build, not two.
            await deliver(receiver.url, secret, articleEvent());
            await sleep(250);
            await deliver(receiver.url, secret, articleEvent());
            await receiver.waitFor(/rebuild finished/, 2, 15_000);
            await sleep(500);
            assert.deepEqual(readLines(out), ["start", "end", "start", "end"]);
        } finally {
            await receiver.stop();
        }
    });

    test("REBUILD_ON limits which event types rebuild", async () => {
        const secret = newSecret();
        const out = join(dir, "rebuilds-filter.txt");
        const receiver = await startReceiver({
            WEBHOOK_SECRET: secret,
            REBUILD_COMMAND: `echo built >> "${out}"`,
            REBUILD_DEBOUNCE_MS: "100",
            REBUILD_ON: "article.published, article.unpublished",
        });
        try {
            await deliver(receiver.url, secret, articleEvent("article.updated"));
            await sleep(500);
            assert.deepEqual(readLines(out), []);
            await deliver(receiver.url, secret, articleEvent("article.unpublished"));
            await receiver.waitFor(/rebuild finished/);
            assert.deepEqual(readLines(out), ["built"]);
        } finally {
            await receiver.stop();
        }
    });
});

test("without WEBHOOK_SECRET the receiver refuses to start", async () => {
    const child = spawn(process.execPath, [RECEIVER], {
        env: { ...process.env, WEBHOOK_SECRET: "", PORT: "0" },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 2);
    assert.match(stderr, /WEBHOOK_SECRET is not set/);
});
