// The change feed as an offline app or an incremental build follows it: ask for the latest position, then read
// the changes after it page by page (`followChanges`) and persist each page's `next`.
// Writes one article through the client, edits it and deletes it; leaves the demo blog as it was.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { FolioError, followChanges, listChanges, type ChangePage, type ChangeView } from "../src/index.js";
import { ok, publicClient, writerClient } from "./env.js";

const SLUG = "followed-through-the-change-feed";
const reader = publicClient();
const writer = writerClient();

async function remove() {
  const result = await writer.DELETE("/api/v1/articles/{slug}", { params: { path: { slug: SLUG } } });
  assert.ok([204, 404].includes(result.response.status), `DELETE answered ${result.response.status}`);
}

/** Every page from `since` with one entry a page, checking what each page says of its position. */
async function walk(since: number): Promise<{ pages: ChangePage[]; entries: ChangeView[]; last: number }> {
  const pages: ChangePage[] = [];
  const walker = followChanges(reader, since, { limit: 1 });
  let previous = since;
  for (;;) {
    const step = await walker.next();
    if (step.done) {
      assert.equal(step.value, pages.at(-1)?.next, "the generator returns the last page's next");
      break;
    }
    const page = step.value;
    assert.ok(page.entries.length <= 1, "at most `limit` entries a page");
    assert.equal(page.next, page.entries.at(-1)?.position ?? previous, "next: the last entry's position, or since");
    assert.ok(page.next >= previous, "positions only grow");
    previous = page.next;
    pages.push(page);
    assert.ok(pages.length < 100, "the walk ends");
  }
  return { pages, entries: pages.flatMap((p) => p.entries), last: previous };
}

describe("the change feed", () => {
  before(remove);
  after(remove);

  test("without since: the latest position and no entries", async () => {
    const feed = await listChanges(reader);
    assert.deepEqual(feed.data, []);
    assert.equal(typeof feed.meta.next, "number");
    assert.ok(feed.meta.next > 0, "seeding the demo blog logged changes");
    assert.equal(feed.meta.since, feed.meta.next);
    assert.equal(feed.meta.has_more, false);
    assert.equal(feed.links.next, `/api/v1/changes?since=${feed.meta.next}`);

    // Caught up: one empty page, and the position stays.
    const pages: ChangePage[] = [];
    for await (const page of followChanges(reader, feed.meta.next)) pages.push(page);
    assert.deepEqual(pages, [{ entries: [], next: feed.meta.next }]);
  });

  test("an article published, edited and deleted through the client, in order", async () => {
    const start = (await listChanges(reader)).meta.next;

    const created = await writer.PUT("/api/v1/articles/{slug}", {
      params: { path: { slug: SLUG } },
      body: {
        title: "Followed through the change feed",
        body_markdown: "An article the change feed test writes, edits and deletes.",
        status: "published",
        published_at: "2001-01-01T09:00:00Z",
      },
    });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    const id = ok(created).id;
    const edited = ok(
      await writer.PATCH("/api/v1/articles/{slug}", {
        params: { path: { slug: SLUG } },
        body: { title: "Followed through the change feed, edited" },
      }),
    );
    assert.equal(edited.version, 2);

    // While the article exists, its entries carry its card as it now is.
    const upserts = await walk(start);
    const mine = upserts.entries.filter((e) => e.id === id);
    assert.deepEqual(mine.map((e) => e.type), ["article.published", "article.updated"]);
    for (const entry of mine) {
      assert.equal(entry.resource, "article");
      assert.equal(entry.slug, SLUG);
      assert.equal(entry.public, true);
      assert.ok(entry.article, `${entry.type} has the card`);
      assert.equal(entry.article.id, id);
      assert.equal(entry.article.title, "Followed through the change feed, edited", "the card as it now is");
      assert.equal(entry.article.version, 2);
      assert.ok(!("body_html" in entry.article), "a card, not the whole article");
    }
    assert.ok(mine[0]!.position < mine[1]!.position);
    const position = upserts.last; // what a follower persists

    const deleted = await writer.DELETE("/api/v1/articles/{slug}", { params: { path: { slug: SLUG } } });
    assert.equal(deleted.response.status, 204);

    // Following on from the persisted position: just the tombstone.
    const resumed = await walk(position);
    const tombstones = resumed.entries.filter((e) => e.id === id);
    assert.deepEqual(tombstones.map((e) => e.type), ["article.deleted"]);
    assert.equal(tombstones[0]!.slug, SLUG, "a deletion names the slug it had");
    assert.equal(tombstones[0]!.article ?? null, null, "a tombstone has no card");
    assert.ok(tombstones[0]!.position > position);

    // From the start again: all three in order; an entry a later one removes no longer has its card.
    const all = (await walk(start)).entries.filter((e) => e.id === id);
    assert.deepEqual(all.map((e) => e.type), ["article.published", "article.updated", "article.deleted"]);
    for (const entry of all) assert.equal(entry.article ?? null, null, `${entry.type}: the article is gone`);
    assert.deepEqual(
      all.map((e) => e.position),
      [...mine.map((e) => e.position), tombstones[0]!.position],
      "each change keeps its position",
    );
  });

  test("refusals are FolioErrors with the problem document", async () => {
    await assert.rejects(listChanges(reader, { since: -1 }), (error: unknown) => {
      assert.ok(error instanceof FolioError);
      assert.equal(error.status, 400);
      assert.equal(error.problem?.status, 400);
      assert.equal(error.problem?.type, "/problems/bad-request");
      return true;
    });
    // The generator surfaces them on its first step.
    await assert.rejects(followChanges(reader, 0, { limit: 501 }).next(), (error: unknown) => {
      assert.ok(error instanceof FolioError);
      assert.equal(error.status, 400);
      return true;
    });
    // Drafts' changes need a token.
    await assert.rejects(listChanges(reader, { drafts: true }), (error: unknown) => {
      assert.ok(error instanceof FolioError);
      assert.equal(error.status, 401);
      return true;
    });
    const drafts = await listChanges(writer, { drafts: true });
    assert.deepEqual(drafts.data, []);
    assert.equal(drafts.meta.next, (await listChanges(reader)).meta.next, "one log, one latest position");
  });
});
