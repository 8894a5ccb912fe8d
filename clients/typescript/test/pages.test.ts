// Pages (`/about`, `/colophon`) as a publisher writes them and a frontend reads them: created, read with their
// ETag, replaced and patched under If-Match, renamed (the old slug answers 301), deleted; written as Markdown
// with front matter too; drafts and scheduled pages only with a token; never among the articles.
// Assumes a freshly seeded demo blog (`folio seed --demo`); leaves no page behind.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  createPage,
  deletePage,
  FolioError,
  getPage,
  listPages,
  patchPage,
  putPage,
  suggest,
  type Page,
} from "../src/index.js";
import { FOLIO_URL, ok, publicClient, writerClient } from "./env.js";

const SLUG = "client-about";
const RENAMED = "client-about-us";
const MARKDOWN_SLUG = "client-colophon";
const POSTED_SLUG = "client-posted-colophon";
const DRAFT = "client-draft-page";
const SCHEDULED = "client-scheduled-page";
const ALL = [SLUG, RENAMED, MARKDOWN_SLUG, POSTED_SLUG, DRAFT, SCHEDULED];

const writer = writerClient();
const reader = publicClient();

const DOCUMENT = `---
title: Client Colophon
status: published
summary: How the client tests' colophon is made.
---
Set in whatever the reader's browser has.

## Tools

A Markdown file and a PUT.
`;

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

async function remove() {
  for (const slug of ALL) {
    await deletePage(writer, slug).catch((error: unknown) => {
      if (!(error instanceof FolioError && error.status === 404)) throw error;
    });
  }
}

/** Every slug of a listing of pages, walking its pages. */
async function slugsOf(client: typeof reader): Promise<string[]> {
  const slugs: string[] = [];
  for (let n = 1; ; n++) {
    const listing = await listPages(client, { page: n, per_page: 100 });
    slugs.push(...listing.data.map((p) => p.slug));
    if (!listing.meta.pagination.next_page) return slugs;
  }
}

describe("pages", () => {
  // Leave the demo blog as it was, even if an earlier run stopped half-way.
  before(remove);
  after(remove);

  test("create, read with the ETag, replace and patch under If-Match, rename (301), delete", async () => {
    const created = await createPage(writer, {
      title: "About the client tests",
      slug: SLUG,
      body_markdown: "The typed client's tests write this page.\n\n## Who\n\nA test suite.",
      status: "published",
    });
    assert.equal(created.status, 201);
    assert.ok(created.etag, "a write answers the ETag");
    const page = created.page;
    assert.equal(page.slug, SLUG);
    assert.equal(page.title, "About the client tests");
    assert.equal(page.status, "published");
    assert.equal(page.version, 1);
    assert.ok(page.published_at, "published now");
    assert.ok(page.body_html?.includes('<h2 id="who">Who</h2>'), page.body_html ?? "");
    assert.deepEqual(page.toc, [{ level: 2, id: "who", text: "Who" }]);
    assert.ok(!("tags" in page) && !("authors" in page) && !("featured" in page), "a page has no tags or authors");

    // A slug is taken once.
    await assert.rejects(
      createPage(writer, { title: "Again", slug: SLUG, body_markdown: "x" }),
      problem(409, "/problems/conflict"),
    );

    // A reader gets it whole, with the same ETag.
    const read = await getPage(reader, SLUG);
    assert.equal(read.status, 200);
    assert.equal(read.etag, created.etag);
    assert.deepEqual(read.page, page);

    // Replace it under If-Match; a stale ETag, or If-None-Match: * on an existing page, is refused.
    const replaced = await putPage(
      writer,
      SLUG,
      { title: "About the client tests", body_markdown: "Rewritten.", status: "published" },
      { ifMatch: read.etag },
    );
    assert.equal(replaced.status, 200);
    assert.equal(replaced.page.version, 2);
    assert.equal(replaced.page.id, page.id);
    assert.equal(replaced.page.published_at, page.published_at, "later edits keep the publication date");
    assert.notEqual(replaced.etag, read.etag);
    await assert.rejects(
      putPage(writer, SLUG, { title: "Lost update", body_markdown: "x" }, { ifMatch: read.etag }),
      problem(412, "/problems/precondition-failed"),
    );
    await assert.rejects(
      putPage(writer, SLUG, { title: "Lost update", body_markdown: "x" }, { ifNoneMatch: "*" }),
      problem(412, "/problems/precondition-failed"),
    );
    assert.equal((await getPage(reader, SLUG)).page.body_markdown, "Rewritten.", "the refused writes changed nothing");

    // A patch that renames it: the old slug answers 301 to the new one, which fetch follows.
    const renamed = await patchPage(writer, SLUG, { slug: RENAMED, title: "About us" }, { ifMatch: replaced.etag });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.page.slug, RENAMED);
    assert.equal(renamed.page.title, "About us");
    assert.equal(renamed.page.body_markdown, "Rewritten.", "a merge patch keeps what it does not name");
    assert.equal(renamed.page.version, 3);
    const moved = await fetch(`${FOLIO_URL}/api/v1/pages/${SLUG}`, { redirect: "manual" });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get("location"), `/api/v1/pages/${RENAMED}`);
    const followed = await getPage(reader, SLUG);
    assert.equal(followed.page.slug, RENAMED);
    assert.equal(followed.etag, renamed.etag);
    await assert.rejects(
      patchPage(writer, RENAMED, { title: "Stale" }, { ifMatch: replaced.etag }),
      problem(412, "/problems/precondition-failed"),
    );

    const listed = await slugsOf(reader);
    assert.ok(listed.includes(RENAMED), JSON.stringify(listed));
    assert.ok(!listed.includes(SLUG), "a listing has the current slug only");

    // Delete: a stale ETag is refused; then the page and its former slug are gone.
    await assert.rejects(deletePage(writer, RENAMED, { ifMatch: replaced.etag }), problem(412, "/problems/precondition-failed"));
    await deletePage(writer, RENAMED, { ifMatch: renamed.etag });
    await assert.rejects(getPage(reader, RENAMED), problem(404, "/problems/not-found"));
    await assert.rejects(getPage(reader, SLUG), problem(404, "/problems/not-found"));
    await assert.rejects(deletePage(writer, RENAMED), problem(404, "/problems/not-found"));
    await assert.rejects(patchPage(writer, RENAMED, { title: "Gone" }), problem(404, "/problems/not-found"));
  });

  test("Markdown with front matter: If-None-Match: * creates, an identical PUT changes nothing, POST takes it too", async () => {
    const created = await putPage(writer, MARKDOWN_SLUG, DOCUMENT, { ifNoneMatch: "*" });
    assert.equal(created.status, 201);
    const page = created.page;
    assert.equal(page.slug, MARKDOWN_SLUG);
    assert.equal(page.title, "Client Colophon");
    assert.equal(page.summary, "How the client tests' colophon is made.");
    assert.equal(page.status, "published");
    assert.ok(page.body_html?.includes('<h2 id="tools">Tools</h2>'), page.body_html ?? "");
    assert.ok(!page.body_markdown?.includes("title:"), "the front matter is not part of the body");

    const repeated = await putPage(writer, MARKDOWN_SLUG, DOCUMENT);
    assert.equal(repeated.status, 200);
    assert.equal(repeated.page.version, page.version, "same version");
    assert.equal(repeated.page.updated_at, page.updated_at, "same updated_at");
    assert.equal(repeated.etag, created.etag, "same ETag");

    const edited = await putPage(writer, MARKDOWN_SLUG, DOCUMENT.replace("and a PUT.", "and one PUT."), {
      ifMatch: repeated.etag,
    });
    assert.equal(edited.page.version, page.version + 1, "an edit is a new version");
    assert.equal(edited.page.published_at, page.published_at);

    // Pages have no tags, authors or featured flag: front matter naming them is refused, naming the field.
    await assert.rejects(putPage(writer, MARKDOWN_SLUG, DOCUMENT.replace("status:", "tags: [rust]\nstatus:")), (error: unknown) => {
      problem(422, "/problems/validation")(error);
      const fields = (error as FolioError).problem?.errors?.map((e) => e.field) ?? [];
      assert.deepEqual(fields, ["tags"], JSON.stringify((error as FolioError).problem));
      return true;
    });

    // POST takes a Markdown document as well; the slug derives from the title.
    const posted = await createPage(writer, DOCUMENT.replace("title: Client Colophon", "title: Client Posted Colophon"));
    assert.equal(posted.status, 201);
    assert.equal(posted.page.slug, POSTED_SLUG);
  });

  test("drafts and scheduled pages: only with a token", async () => {
    const draft = await createPage(writer, { title: "Client Draft Page", body_markdown: "Not yet." });
    assert.equal(draft.page.slug, DRAFT);
    assert.equal(draft.page.status, "draft", "a page without status is a draft");
    assert.equal(draft.page.published_at ?? null, null);
    const scheduled = await putPage(writer, SCHEDULED, {
      title: "Client Scheduled Page",
      body_markdown: "Later.",
      status: "published",
      published_at: "2099-01-01T09:00:00Z",
    });
    assert.equal(scheduled.page.status, "scheduled");
    const published = await putPage(writer, MARKDOWN_SLUG, DOCUMENT);

    // A reader sees neither.
    for (const slug of [DRAFT, SCHEDULED]) {
      await assert.rejects(getPage(reader, slug), problem(404, "/problems/not-found"));
      assert.equal((await getPage(writer, slug)).page.slug, slug, `${slug} with a token`);
    }
    const publicSlugs = await slugsOf(reader);
    assert.ok(publicSlugs.includes(MARKDOWN_SLUG));
    assert.ok(!publicSlugs.includes(DRAFT) && !publicSlugs.includes(SCHEDULED), JSON.stringify(publicSlugs));
    const everySlug = await slugsOf(writer);
    for (const slug of [MARKDOWN_SLUG, DRAFT, SCHEDULED]) assert.ok(everySlug.includes(slug), `${slug} with a token`);

    // Listings: by title, items without their bodies, paginated.
    const listing = await listPages(writer, { per_page: 2 });
    assert.equal(listing.data.length, 2);
    assert.equal(listing.meta.pagination.per_page, 2);
    assert.equal(listing.meta.pagination.total, everySlug.length);
    assert.equal(listing.links.next, "/api/v1/pages?page=2&per_page=2");
    const titles = (await listPages(writer, { per_page: 100 })).data.map((p: Page) => p.title);
    assert.deepEqual(titles, [...titles].sort((a, b) => a.localeCompare(b)), "by title");
    for (const item of listing.data) {
      assert.equal(item.body_html ?? undefined, undefined, `${item.slug}: a listing item has no body_html`);
      assert.equal(item.body_markdown ?? undefined, undefined, `${item.slug}: nor body_markdown`);
    }
    await assert.rejects(listPages(reader, { page: 0 }), problem(400, "/problems/bad-request"));
    await assert.rejects(listPages(reader, { per_page: 101 }), problem(400, "/problems/bad-request"));
    assert.equal(published.page.status, "published");
  });

  test("pages are never articles: not listed, not found, not suggested", async () => {
    const { page } = await putPage(writer, MARKDOWN_SLUG, DOCUMENT);
    const articles = ok(await reader.GET("/api/v1/articles", { params: { query: { per_page: 100 } } }));
    assert.equal(articles.meta.pagination.total, 12, "the demo blog's articles only");
    assert.ok(!articles.data.some((a) => a.slug === page.slug || a.title === page.title));
    const asArticle = await reader.GET("/api/v1/articles/{slug}", { params: { path: { slug: page.slug } } });
    assert.equal(asArticle.response.status, 404);
    assert.deepEqual(await suggest(reader, "client colo"), []);
    const searched = ok(await reader.GET("/api/v1/articles", { params: { query: { q: "colophon" } } }));
    assert.deepEqual(searched.data, []);
  });

  test("writes need a content:write token", async () => {
    await assert.rejects(
      createPage(reader, { title: "Anonymous", body_markdown: "x" }),
      problem(401, "/problems/unauthorized"),
    );
    await assert.rejects(putPage(reader, SLUG, DOCUMENT), problem(401, "/problems/unauthorized"));
    await assert.rejects(deletePage(reader, MARKDOWN_SLUG), problem(401, "/problems/unauthorized"));
  });
});
