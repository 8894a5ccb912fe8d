// The API used the way a CI publisher uses it: PUT a Markdown document with YAML front matter, and PUT it again.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { putMarkdown } from "../src/index.js";
import { ok, publicClient, writerClient } from "./env.js";

const SLUG = "published-from-ci";
const DOCUMENT = `---
title: Published from CI
status: published
tags: [Rust, HTTP]
authors: [grace]
summary: A post that a CI job keeps in sync from a Markdown file.
---
Publishing is a PUT of the file as it is.

## Idempotence

The second identical PUT writes nothing.
`;

const writer = writerClient();
const reader = publicClient();

async function remove() {
  const result = await writer.DELETE("/api/v1/articles/{slug}", { params: { path: { slug: SLUG } } });
  assert.ok([204, 404].includes(result.response.status), `DELETE answered ${result.response.status}`);
}

describe("a CI publisher", () => {
  // Leave the demo blog as it was, even if an earlier run stopped half-way.
  before(remove);
  after(remove);

  test("PUT Markdown creates, an identical PUT changes nothing, an edit bumps the version", async () => {
    const created = await putMarkdown(writer, SLUG, DOCUMENT);
    const first = ok(created);
    assert.equal(created.response.status, 201);
    assert.equal(created.response.headers.get("location"), `/api/v1/articles/${SLUG}`);
    assert.ok(created.response.headers.get("etag"));
    assert.equal(first.slug, SLUG);
    assert.equal(first.title, "Published from CI");
    assert.equal(first.status, "published");
    assert.deepEqual(first.tags.map((t) => t.slug), ["rust", "http"]);
    assert.equal(first.primary_author?.slug, "grace");
    assert.equal(first.version, 1);
    assert.ok(first.body_html?.includes('<h2 id="idempotence">Idempotence</h2>'), first.body_html ?? "");
    assert.deepEqual(first.toc, [{ level: 2, id: "idempotence", text: "Idempotence" }]);

    const repeated = await putMarkdown(writer, SLUG, DOCUMENT);
    const second = ok(repeated);
    assert.equal(repeated.response.status, 200);
    assert.equal(second.version, first.version, "same version");
    assert.equal(second.updated_at, first.updated_at, "same updated_at");
    assert.equal(second.published_at, first.published_at, "same published_at");
    assert.equal(repeated.response.headers.get("etag"), created.response.headers.get("etag"), "same ETag");

    // A reader sees it as the newest post.
    const home = ok(await reader.GET("/api/v1/articles", { params: { query: { per_page: 1 } } }));
    assert.equal(home.data[0]?.slug, SLUG);
    assert.equal(home.meta.pagination.total, 13);

    const edited = await putMarkdown(writer, SLUG, DOCUMENT.replace("writes nothing.", "writes nothing at all."), {
      ifMatch: repeated.response.headers.get("etag")!,
    });
    const third = ok(edited);
    assert.equal(edited.response.status, 200);
    assert.equal(third.version, first.version + 1, "an edit is a new version");
    assert.ok(Date.parse(third.updated_at) > Date.parse(first.updated_at), "an edit moves updated_at");
    assert.equal(third.published_at, first.published_at, "later edits keep the publication date");

    // A stale If-Match is refused.
    const stale = await putMarkdown(writer, SLUG, DOCUMENT, { ifMatch: created.response.headers.get("etag")! });
    assert.equal(stale.response.status, 412);
    assert.equal(stale.error?.status, 412);
  });

  test("writes need the token", async () => {
    const anonymous = await putMarkdown(reader, SLUG, DOCUMENT);
    assert.equal(anonymous.response.status, 401);
    assert.equal(anonymous.error?.status, 401);
  });
});
