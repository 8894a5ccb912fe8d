// The API used the way a blog frontend uses it, through the generated typed client only.
// Assumes a freshly seeded demo blog (`folio seed --demo`): 12 published articles, 2 of them featured,
// authors ada and grace, tag rust on 3 articles.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cardsOf, followArticleLink, walkArticles, wholeArticle, type Article, type Card } from "../src/index.js";
import { ok, publicClient } from "./env.js";

const client = publicClient();

/** What a card on the home page shows. */
function assertCard(card: Article) {
  assert.ok(card.title.length > 0, "title");
  assert.ok(card.summary.length > 0, `${card.slug}: summary`);
  assert.ok(card.primary_tag, `${card.slug}: primary_tag`);
  assert.deepEqual(card.primary_tag, card.tags[0], `${card.slug}: primary tag is the first tag`);
  assert.ok(card.reading_time_minutes >= 1, `${card.slug}: reading_time_minutes`);
  assert.ok(card.published_at && !Number.isNaN(Date.parse(card.published_at)), `${card.slug}: published_at`);
  assert.ok(card.primary_author, `${card.slug}: primary_author`);
  assert.ok(["ada", "grace"].includes(card.primary_author.slug), `${card.slug}: author`);
  assert.equal(card.status, "published");
  // Cards leave the heavy fields out.
  assert.equal(card.body_html, undefined, `${card.slug}: a card has no body_html`);
  assert.equal(card.body_markdown, undefined, `${card.slug}: a card has no body_markdown`);
  assert.equal(card.newer, undefined, `${card.slug}: a card has no newer`);
}

function assertNewestFirst(cards: Article[]) {
  for (let i = 1; i < cards.length; i++) {
    assert.ok(
      Date.parse(cards[i - 1]!.published_at!) >= Date.parse(cards[i]!.published_at!),
      `newest first: ${cards[i - 1]!.slug} before ${cards[i]!.slug}`,
    );
  }
}

describe("a blog frontend", () => {
  test("home page: the featured strip and the latest posts", async () => {
    const [featured, latest] = await Promise.all([
      client.GET("/api/v1/featured"),
      client.GET("/api/v1/articles", { params: { query: { page: 1 } } }),
    ]);
    const strip = ok(featured);
    assert.equal(strip.data.length, 2);
    assert.equal(strip.meta.pagination.total, 2);
    assert.equal(strip.meta.pagination.per_page, 3, "three per page by default on /featured");
    for (const card of cardsOf(strip)) {
      assert.equal(card.featured, true);
      assertCard(card);
    }

    const page = ok(latest);
    assert.equal(latest.response.headers.get("content-type"), "application/json");
    assert.ok(latest.response.headers.get("etag"), "listings carry an ETag");
    assert.match(latest.response.headers.get("cache-control") ?? "", /public/);
    assert.equal(page.data.length, 10);
    const p = page.meta.pagination;
    assert.deepEqual(
      [p.page, p.per_page, p.total, p.total_pages, p.prev_page, p.next_page],
      [1, 10, 12, 2, null, 2],
    );
    assert.equal(page.links.prev, null);
    assert.ok(page.links.next);
    cardsOf(page).forEach(assertCard);
    assertNewestFirst(cardsOf(page));
    // Every featured article is among the public ones.
    const slugs = new Set(cardsOf(page).map((a) => a.slug));
    const all = ok(await client.GET("/api/v1/articles", { params: { query: { per_page: 100 } } }));
    for (const card of cardsOf(strip)) assert.ok(all.data.some((a) => a.slug === card.slug), card.slug);
    assert.ok(slugs.size === 10);
  });

  test('"All posts" page 2 by following the next link', async () => {
    const first = await client.GET("/api/v1/articles", { params: { query: { per_page: 5 } } });
    const page1 = ok(first);
    assert.equal(page1.data.length, 5);
    assert.equal(page1.links.next, "/api/v1/articles?page=2&per_page=5");
    assert.equal(page1.links.last, "/api/v1/articles?page=3&per_page=5");
    // The Link header repeats the body's links.
    const linkHeader = first.response.headers.get("link") ?? "";
    assert.ok(linkHeader.includes(`<${page1.links.next}>; rel="next"`), linkHeader);

    const second = await followArticleLink(client, page1.links.next!);
    const page2 = ok(second);
    assert.equal(page2.links.self, page1.links.next);
    assert.equal(page2.data.length, 5);
    const p = page2.meta.pagination;
    assert.deepEqual([p.page, p.prev_page, p.next_page, p.total_pages, p.total], [2, 1, 3, 3, 12]);
    assert.equal(page2.links.prev, "/api/v1/articles?page=1&per_page=5");
    const seen = new Set(cardsOf(page1).map((a) => a.slug));
    for (const card of cardsOf(page2)) assert.ok(!seen.has(card.slug), `${card.slug} on pages 1 and 2`);
    assertNewestFirst([...cardsOf(page1), ...cardsOf(page2)]);

    // Following `last` and then past it.
    const page3 = ok(await followArticleLink(client, page2.links.last!));
    assert.equal(page3.data.length, 2);
    assert.equal(page3.links.next, null);
    const past = ok(await client.GET("/api/v1/articles", { params: { query: { page: 4, per_page: 5 } } }));
    assert.deepEqual(past.data, [], "a page past the last is empty");
  });

  test("a tag page", async () => {
    const tags = ok(await client.GET("/api/v1/tags", { params: { query: { sort: "-article_count" } } }));
    const rust = tags.data.find((t) => t.slug === "rust");
    assert.ok(rust, "the demo blog has a rust tag");
    assert.equal(rust.name, "Rust");
    assert.equal(rust.article_count, 3);
    for (let i = 1; i < tags.data.length; i++) {
      assert.ok(tags.data[i - 1]!.article_count >= tags.data[i]!.article_count, "sorted by article_count");
    }

    const listing = ok(await client.GET("/api/v1/articles", { params: { query: { tag: "rust", per_page: 2 } } }));
    assert.equal(listing.meta.pagination.total, rust.article_count);
    assert.equal(listing.data.length, 2);
    for (const card of cardsOf(listing)) {
      assert.ok(card.tags.some((t) => t.slug === "rust"), `${card.slug} is tagged rust`);
      assertCard(card);
    }
    // Links keep the tag filter.
    assert.equal(listing.links.next, "/api/v1/articles?tag=rust&page=2&per_page=2");
    const rest = ok(await followArticleLink(client, listing.links.next!));
    assert.equal(rest.data.length, 1);
    assert.ok(cardsOf(rest)[0]!.tags.some((t) => t.slug === "rust"));

    const unknown = await client.GET("/api/v1/articles", { params: { query: { tag: "no-such-tag" } } });
    assert.deepEqual(ok(unknown).data, []);
  });

  test("an article page with its related posts and newer/older links", async () => {
    const timeline = cardsOf(ok(await client.GET("/api/v1/articles", { params: { query: { per_page: 100 } } })));
    assert.equal(timeline.length, 12);
    const index = 5;
    const card = timeline[index]!;

    const result = await client.GET("/api/v1/articles/{slug}", { params: { path: { slug: card.slug } } });
    const article = wholeArticle(ok(result));
    assert.equal(article.slug, card.slug);
    assert.equal(article.title, card.title);
    assert.ok(article.body_html && article.body_html.includes("<p>"), "body_html");
    assert.ok(article.body_markdown, "body_markdown");
    assert.ok(article.toc && article.toc.length > 0, "toc");
    for (const entry of article.toc) {
      assert.ok(article.body_html.includes(`id="${entry.id}"`), `toc entry ${entry.id} is a heading id`);
    }
    assert.equal(article.newer?.slug, timeline[index - 1]!.slug, "newer");
    assert.equal(article.older?.slug, timeline[index + 1]!.slug, "older");
    assert.equal(article.newer?.title, timeline[index - 1]!.title);

    // Ends of the timeline.
    const newest = wholeArticle(ok(await client.GET("/api/v1/articles/{slug}", { params: { path: { slug: timeline[0]!.slug } } })));
    assert.equal(newest.newer, null);
    const oldest = wholeArticle(ok(await client.GET("/api/v1/articles/{slug}", { params: { path: { slug: timeline.at(-1)!.slug } } })));
    assert.equal(oldest.older, null);

    // A conditional listing request answers 304 without a body, and the client does not throw on it.
    const listed = await client.GET("/api/v1/articles", {});
    const listEtag = listed.response.headers.get("etag");
    assert.ok(listEtag, "a listing has an ETag");
    const unchanged = await client.GET("/api/v1/articles", { params: { header: { "If-None-Match": listEtag } } });
    assert.equal(unchanged.response.status, 304);
    assert.equal(unchanged.data, undefined);

    // Revalidation as a browser cache does it.
    const etag = result.response.headers.get("etag");
    assert.ok(etag, "an article has an ETag");
    const again = await client.GET("/api/v1/articles/{slug}", {
      params: { path: { slug: card.slug } },
      headers: { "If-None-Match": etag },
    });
    assert.equal(again.response.status, 304);

    const related = ok(
      await client.GET("/api/v1/articles/{slug}/related", { params: { path: { slug: card.slug }, query: { limit: 3 } } }),
    );
    assert.ok(related.data.length >= 1 && related.data.length <= 3, `${related.data.length} related`);
    const tagSlugs = new Set(article.tags.map((t) => t.slug));
    for (const other of cardsOf(related)) {
      assert.notEqual(other.slug, article.slug, "never the article itself");
      assert.ok(other.tags.some((t) => tagSlugs.has(t.slug)), `${other.slug} shares a tag`);
      assertCard(other);
    }

    const missing = await client.GET("/api/v1/articles/{slug}", { params: { path: { slug: "no-such-article" } } });
    assert.equal(missing.response.status, 404);
    assert.equal(missing.error?.type, "/problems/not-found");
    assert.equal(missing.error?.status, 404);
  });

  test("a full cursor walk visits every article exactly once", async () => {
    const pageMode = ok(await client.GET("/api/v1/articles", { params: { query: { per_page: 100 } } }));
    const expected = pageMode.data.map((a) => a.slug);

    const visited: string[] = [];
    let cursor: string = "";
    let pages = 0;
    for (;;) {
      const page = ok(await client.GET("/api/v1/articles", { params: { query: { cursor, per_page: 5 } } }));
      pages++;
      const p = page.meta.pagination;
      assert.equal(p.page, null, "cursor mode has no page numbers");
      assert.equal(p.total, expected.length);
      if (pages === 1) assert.equal(p.prev_cursor, null);
      else assert.ok(p.prev_cursor, "later pages have a prev_cursor");
      visited.push(...cardsOf(page).map((a) => a.slug));
      if (!p.next_cursor) {
        assert.equal(page.links.next, null);
        break;
      }
      assert.ok(page.links.next?.includes(`cursor=${p.next_cursor}`), "links.next carries next_cursor");
      cursor = p.next_cursor;
      assert.ok(pages < 10, "the walk ends");
    }
    assert.equal(pages, 3);
    assert.equal(new Set(visited).size, visited.length, "no article twice");
    assert.deepEqual(visited, expected, "every article, in the same order as page mode");

    // The same walk through the client's helper, with another page size.
    const walked: string[] = [];
    for await (const article of walkArticles(client, { per_page: 4 })) walked.push(article.slug);
    assert.deepEqual(walked, expected);
  });
});
