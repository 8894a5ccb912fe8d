// Webhook endpoints as an operator manages them with an `admin` token: create (the secret shown once), list, get,
// patch, rotate the secret, ping, read the delivery log, redeliver, delete.
// The server refuses private addresses by default, so the endpoints point at a public-looking URL; this machine
// may not reach it, so nothing here waits for (or asserts) a delivery's success. Leaves no endpoint behind.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";

import {
  createWebhook,
  deleteWebhook,
  FolioError,
  getWebhook,
  listDeliveries,
  listWebhooks,
  patchWebhook,
  payloadOf,
  pingWebhook,
  redeliver,
  rotateWebhookSecret,
  type WebhookPing,
} from "../src/index.js";
import { adminClient, publicClient, writerClient } from "./env.js";

const URL = "https://example.com/hook";
const DESCRIPTION = "typescript client tests";

/** The status of the last response the admin client received (the wrappers answer only bodies). */
let lastStatus = 0;
const admin = adminClient({
  fetch: async (request: Request) => {
    const response = await fetch(request);
    lastStatus = response.status;
    return response;
  },
});

/** A rejection that is a FolioError with a problem document of `status`. */
function problem(status: number, type: string) {
  return (error: unknown) => {
    assert.ok(error instanceof FolioError, String(error));
    assert.equal(error.status, status);
    assert.equal(error.problem?.status, status);
    assert.equal(error.problem?.type, type);
    return true;
  };
}

describe("webhook endpoints", () => {
  // Whatever a failed run left behind.
  after(async () => {
    for (const hook of await listWebhooks(admin)) {
      if (hook.description === DESCRIPTION) await deleteWebhook(admin, hook.id);
    }
  });

  test("create, list, get, patch, rotate, ping, deliveries, redeliver, delete", async () => {
    const created = await createWebhook(admin, { url: URL, events: ["article.*"], description: DESCRIPTION });
    assert.equal(lastStatus, 201);
    assert.match(created.secret, /^whsec_./);
    const hook = created.webhook;
    assert.equal(hook.url, URL);
    assert.deepEqual(hook.events, ["article.*"]);
    assert.equal(hook.description, DESCRIPTION);
    assert.equal(hook.enabled, true);
    assert.equal(hook.disabled_reason ?? null, null);
    assert.ok(!("secret" in hook), "the endpoint itself never shows its secret");

    const listed = await listWebhooks(admin);
    assert.deepEqual(listed.find((h) => h.id === hook.id), hook);
    for (const h of listed) assert.ok(!("secret" in h), "listings have no secrets");
    assert.deepEqual(await getWebhook(admin, hook.id), hook);

    const disabled = await patchWebhook(admin, hook.id, { enabled: false });
    assert.equal(disabled.enabled, false);
    assert.equal(disabled.id, hook.id);
    assert.equal(disabled.url, URL, "a merge patch keeps what it does not name");
    assert.deepEqual(disabled.events, ["article.*"]);
    assert.ok(Date.parse(disabled.updated_at) >= Date.parse(hook.updated_at));
    assert.equal((await getWebhook(admin, hook.id)).enabled, false);

    const rotated = await rotateWebhookSecret(admin, hook.id);
    assert.equal(lastStatus, 200);
    assert.match(rotated.secret, /^whsec_./);
    assert.notEqual(rotated.secret, created.secret, "a new secret");
    assert.equal(rotated.webhook.id, hook.id);

    // A disabled endpoint takes no ping; enabled again, it does.
    await assert.rejects(pingWebhook(admin, hook.id), problem(409, "/problems/conflict"));
    assert.equal((await patchWebhook(admin, hook.id, { enabled: true })).enabled, true);
    const ping = await pingWebhook(admin, hook.id);
    assert.equal(lastStatus, 202);
    assert.equal(ping.event_type, "ping");
    assert.equal(ping.webhook_id, hook.id);
    assert.equal(ping.position ?? null, null, "a ping announces no change");
    assert.ok(["pending", "delivered", "failed"].includes(ping.status));
    const body = payloadOf(ping) as WebhookPing;
    assert.equal(body.type, "ping");
    assert.equal(body.data.webhook_id, hook.id);

    const log = await listDeliveries(admin, hook.id, { limit: 10 });
    const logged = log.data.find((d) => d.id === ping.id);
    assert.ok(logged, "the delivery log has the ping");
    assert.equal(logged.event_type, "ping");
    assert.equal(logged.message_id, ping.message_id);
    assert.equal(typeof log.meta.has_more, "boolean");
    // Filters: the ping is pending (the endpoint is disabled), and never delivered.
    assert.ok((await listDeliveries(admin, hook.id, { status: "pending" })).data.some((d) => d.id === ping.id));
    assert.ok(!(await listDeliveries(admin, hook.id, { status: "delivered" })).data.some((d) => d.id === ping.id));
    assert.deepEqual((await listDeliveries(admin, hook.id, { before: ping.id })).data, [], "nothing older");

    const again = await redeliver(admin, hook.id, ping.id);
    assert.equal(lastStatus, 202);
    assert.equal(again.id, ping.id);
    assert.equal(again.message_id, ping.message_id, "the same webhook-id");

    await deleteWebhook(admin, hook.id);
    assert.equal(lastStatus, 204);
    await assert.rejects(getWebhook(admin, hook.id), problem(404, "/problems/not-found"));
    await assert.rejects(deleteWebhook(admin, hook.id), problem(404, "/problems/not-found"));
    await assert.rejects(listDeliveries(admin, hook.id), problem(404, "/problems/not-found"));
    assert.ok(!(await listWebhooks(admin)).some((h) => h.id === hook.id));
  });

  test("a private URL is refused with a validation problem naming url", async () => {
    await assert.rejects(
      createWebhook(admin, { url: "http://127.0.0.1:9/x", events: ["*"], description: DESCRIPTION }),
      (error: unknown) => {
        problem(422, "/problems/validation")(error);
        const fields = (error as FolioError).problem?.errors?.map((e) => e.field) ?? [];
        assert.ok(fields.includes("url"), JSON.stringify((error as FolioError).problem));
        return true;
      },
    );
    // Nor can a patch point an endpoint there.
    const { webhook } = await createWebhook(admin, { url: URL, events: ["*"], description: DESCRIPTION });
    await assert.rejects(patchWebhook(admin, webhook.id, { url: "http://127.0.0.1:9/x" }), problem(422, "/problems/validation"));
    assert.equal((await getWebhook(admin, webhook.id)).url, URL);
    await deleteWebhook(admin, webhook.id);
  });

  test("webhooks need an admin token", async () => {
    await assert.rejects(listWebhooks(publicClient()), problem(401, "/problems/unauthorized"));
    await assert.rejects(listWebhooks(writerClient()), problem(403, "/problems/forbidden"));
    await assert.rejects(
      createWebhook(writerClient(), { url: URL, events: ["*"], description: DESCRIPTION }),
      problem(403, "/problems/forbidden"),
    );
  });
});
