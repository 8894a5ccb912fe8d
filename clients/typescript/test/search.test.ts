// Search as a blog frontend uses it: titles for a search box as the reader types (`suggest`), and the results page
// (`GET /api/v1/articles?q=`): by relevance, forgiving a typo, completing the last word, with highlights.
// Assumes a freshly seeded demo blog (`folio seed --demo`); the escaping test adds an article and removes it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  cardsOf,
  FolioError,
  followArticleLink,
  suggest,
  walkArticles,
  type Card,
  type Highlight,
  type SuggestQuery,
} from "../src/index.js";
import { ok, publicClient, writerClient } from "./env.js";

const client = publicClient();
const KEYSET = "keyset-pagination-in-postgresql";

/** The text a highlight shows: its `<mark>` elements taken out and its entities decoded. Fails on any other
 * markup, so whatever an author put in a title can only ever be text. */
function shownText(html: string): string {
  const text = html.replace(/<\/?mark>/g, "");
  assert.doesNotMatch(text, /[<>"]/, `only <mark> elements, everything else escaped: ${html}`);
  return text.replace(/&(lt|gt|quot|#39|#x27|amp);/g, (_, e: string) =>
    ({ lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'", amp: "&" })[e]!,
  );
}

/** The words a highlight marks. */
function marked(html: string): string[] {
  return [...html.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1]!);
}

describe("a search box", () => {
  test("suggest: titles as the reader types, the last word as a prefix, newest first", async () => {
    assert.deepEqual(await suggest(client, "pagin"), [
      { slug: KEYSET, title: "Keyset Pagination in PostgreSQL", highlight: "Keyset <mark>Pagination</mark> in PostgreSQL" },
    ]);
    const two = await suggest(client, "keyset pag");
    assert.deepEqual(two.map((s) => s.highlight), ["<mark>Keyset</mark> <mark>Pagination</mark> in PostgreSQL"]);

    // "api" begins a word of two titles: newest first, as the timeline has them.
    const timeline = cardsOf(ok(await client.GET("/api/v1/articles", { params: { query: { per_page: 100 } } })));
    const api = await suggest(client, "api");
    assert.equal(api.length, 2, JSON.stringify(api));
    const order = api.map((s) => timeline.findIndex((c) => c.slug === s.slug));
    assert.ok(order.every((i) => i >= 0), "suggestions are public articles");
    assert.deepEqual(order, [...order].sort((a, b) => a - b), "newest first");
    for (const s of api) {
      assert.equal(shownText(s.highlight), s.title, `${s.slug}: the highlight shows the title`);
      assert.deepEqual(marked(s.highlight).map((w) => w.toLowerCase().slice(0, 3)), ["api"], s.highlight);
    }
    assert.deepEqual(await suggest(client, "api", { limit: 1 }), api.slice(0, 1), "limit");

    // Nothing typed, or nothing that begins a title's word: no titles.
    assert.deepEqual(await suggest(client, ""), []);
    assert.deepEqual(await suggest(client, "zyzzyva"), []);

    // The API's refusals come as FolioError with the problem document.
    await assert.rejects(suggest(client, "pagin", { limit: 11 }), (error: unknown) => {
      assert.ok(error instanceof FolioError);
      assert.equal(error.status, 400);
      assert.equal(error.problem?.status, 400);
      return true;
    });
    const missing = await client.GET("/api/v1/search/suggest", { params: { query: {} as SuggestQuery } });
    assert.equal(missing.response.status, 400, "q is required");
    assert.equal(missing.error?.type, "/problems/bad-request");
  });

  test("suggest answers are cached like every public read", async () => {
    const first = await client.GET("/api/v1/search/suggest", { params: { query: { q: "pagin", limit: 5 } } });
    assert.equal(ok(first).data.length, 1);
    const etag = first.response.headers.get("etag");
    assert.ok(etag, "suggestions carry an ETag");
    assert.match(first.response.headers.get("cache-control") ?? "", /public/);
    const again = await client.GET("/api/v1/search/suggest", {
      params: { query: { q: "pagin", limit: 5 }, header: { "If-None-Match": etag } },
    });
    assert.equal(again.response.status, 304);
    assert.equal(again.data, undefined);
  });

  test("a results page: a typo forgiven, the match highlighted", async () => {
    const result = ok(await client.GET("/api/v1/articles", { params: { query: { q: "paginaton" } } }));
    const cards = cardsOf(result);
    assert.equal(cards[0]?.slug, KEYSET, JSON.stringify(cards.map((c) => c.slug)));
    const highlight: Highlight | null | undefined = cards[0]!.highlight;
    assert.ok(highlight, "a search result has a highlight");
    assert.equal(highlight.title, "Keyset <mark>Pagination</mark> in PostgreSQL", "the corrected word is marked");
    assert.ok(marked(highlight.body).includes("Pagination"), highlight.body);
    assert.equal(shownText(highlight.title), cards[0]!.title);
    // A result is a whole card besides.
    assert.equal(cards[0]!.title, "Keyset Pagination in PostgreSQL");
    assert.equal(cards[0]!.primary_tag?.slug, "databases");
    assert.ok(!("body_html" in cards[0]!), "a card has no body_html");

    // The last word is completed as typed.
    const typing = cardsOf(ok(await client.GET("/api/v1/articles", { params: { query: { q: "keyset pagin" } } })));
    assert.equal(typing[0]?.slug, KEYSET);
    assert.deepEqual(marked(typing[0]!.highlight!.title), ["Keyset", "Pagination"]);

    // Cards of a listing without q have no highlight.
    const plain = cardsOf(ok(await client.GET("/api/v1/articles", { params: { query: { per_page: 100 } } })));
    assert.equal(plain.length, 12);
    for (const card of plain) assert.equal(card.highlight ?? null, null, `${card.slug}: no highlight without q`);
  });

  test("every page of the results keeps q and highlights", async () => {
    // Every demo article's body has "Small steps, each verified".
    const query = { q: "small steps", per_page: 5 };
    const first = ok(await client.GET("/api/v1/articles", { params: { query } }));
    assert.equal(first.meta.pagination.total, 12);
    assert.ok(first.links.next?.includes("q=small+steps"), first.links.next ?? "no next link");
    const second = ok(await followArticleLink(client, first.links.next!));
    const paged: Card[] = [...cardsOf(first), ...cardsOf(second)];
    for (const card of paged) {
      assert.ok(card.highlight, `${card.slug} has a highlight`);
      assert.deepEqual([...new Set(marked(card.highlight.body))], ["Small", "steps"], card.highlight.body);
    }
    const walked: string[] = [];
    for await (const card of walkArticles(client, { q: "small steps", per_page: 4 })) walked.push(card.slug);
    assert.equal(walked.length, 12);
    assert.deepEqual(walked.slice(0, 10), paged.map((c) => c.slug), "the cursor walk keeps the relevance order");
  });
});

describe("highlights of a hostile title", () => {
  const SLUG = "hostile-title-for-search";
  const TITLE = `Quokka <img src=x onerror="globalThis.pwned=1"> & <script>globalThis.pwned=2</script> 'Titles'`;
  const writer = writerClient();

  async function remove() {
    const result = await writer.DELETE("/api/v1/articles/{slug}", { params: { path: { slug: SLUG } } });
    assert.ok([204, 404].includes(result.response.status), `DELETE answered ${result.response.status}`);
  }
  before(async () => {
    await remove();
    const created = await writer.PUT("/api/v1/articles/{slug}", {
      params: { path: { slug: SLUG } },
      body: {
        title: TITLE,
        body_markdown: "Quokka facts, with <b>markup</b> & <script>globalThis.pwned=3</script> in the body.",
        status: "published",
        published_at: "2001-01-01T09:00:00Z",
      },
    });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
  });
  after(remove);

  test("suggest and the results page escape everything but their <mark> elements", async () => {
    const suggested = await suggest(client, "quokk");
    assert.equal(suggested.length, 1, JSON.stringify(suggested));
    assert.equal(suggested[0]!.title, TITLE, "the title as stored");
    assert.equal(shownText(suggested[0]!.highlight), TITLE);
    assert.deepEqual(marked(suggested[0]!.highlight), ["Quokka"]);
    // A word inside the markup is marked as text.
    const tag = await suggest(client, "img");
    assert.deepEqual(tag.map((s) => marked(s.highlight)), [["img"]]);
    assert.equal(shownText(tag[0]!.highlight), TITLE);

    const found = cardsOf(ok(await client.GET("/api/v1/articles", { params: { query: { q: "quokka" } } })));
    assert.equal(found.length, 1);
    const highlight = found[0]!.highlight!;
    assert.equal(shownText(highlight.title), TITLE);
    assert.deepEqual(marked(highlight.title), ["Quokka"]);
    shownText(highlight.body);
    assert.deepEqual(marked(highlight.body), ["Quokka"]);
  });
});
