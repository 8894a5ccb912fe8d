// Compile-time checks: `npm run build` (tsc) fails when the generated types stop rejecting these mistakes,
// so a change in openapi/openapi.json that loosens them shows up here.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  createFolioClient,
  createWebhook,
  feedUrl,
  fetchJsonFeed,
  followChanges,
  listDeliveries,
  patchSite,
  patchWebhook,
  putPage,
  putSite,
  suggest,
  type Card,
  type ChangeType,
  type ChangeView,
  type components,
  type JsonFeedItem,
  type SiteSettings,
  type Suggestion,
} from "../src/index.js";

export function mistakesTheTypesCatch() {
  const client = createFolioClient("http://127.0.0.1:1");
  // @ts-expect-error: not a path of the API
  void client.GET("/api/v1/posts");
  // @ts-expect-error: `page` is an integer
  void client.GET("/api/v1/articles", { params: { query: { page: "2" } } });
  // @ts-expect-error: an unknown query parameter
  void client.GET("/api/v1/articles", { params: { query: { colour: "red" } } });
  // @ts-expect-error: the path needs its slug
  void client.GET("/api/v1/articles/{slug}");
  // @ts-expect-error: writes have no GET on /tokens/{id}
  void client.GET("/api/v1/tokens/{id}", { params: { path: { id: "x" } } });
  // @ts-expect-error: ArticleStatus is a closed set
  const status: components["schemas"]["ArticleStatus"] = "archived";
  // @ts-expect-error: ArticleInput has no such field (the API answers 422)
  const input: components["schemas"]["ArticleInput"] = { title: "t", colour: "red" };
  // @ts-expect-error: a default card always has its slug, title and dates: they are required, not optional
  const partial: Card = { slug: "x" };
  // @ts-expect-error: suggestions need what the reader typed (`q` is required)
  void client.GET("/api/v1/search/suggest", { params: { query: { limit: 5 } } });
  // @ts-expect-error: `limit` is an integer
  void suggest(client, "pagin", { limit: "5" });
  // @ts-expect-error: a suggestion's highlight is the title as HTML text, not a search result's {title, body}
  const suggestion: Suggestion = { slug: "x", title: "x", highlight: { title: "x", body: "x" } };
  // @ts-expect-error: a feed position is an integer
  void followChanges(client, "42");
  // @ts-expect-error: ChangeType is a closed set
  const change: ChangeType = "article.renamed";
  // @ts-expect-error: a webhook needs the events it receives
  void createWebhook(client, { url: "https://example.com/hook" });
  // @ts-expect-error: a webhook patch names only the endpoint's fields
  void patchWebhook(client, "id", { colour: "red" });
  // @ts-expect-error: a delivery is pending, delivered or failed
  void listDeliveries(client, "id", { status: "lost" });
  // @ts-expect-error: pages have no tags (the API answers 422)
  void putPage(client, "about", { title: "About", body_markdown: "x", tags: ["rust"] });
  // @ts-expect-error: If-None-Match on a PUT is only `*` (create only)
  void putPage(client, "about", "---\ntitle: About\n---\n", { ifNoneMatch: '"etag"' });
  // @ts-expect-error: a site patch names only settings
  void patchSite(client, { colour: "red" });
  // @ts-expect-error: feeds carry `full` content or a `summary`
  void putSite(client, { feeds: { content: "excerpt" } });
  // @ts-expect-error: a feed is RSS, Atom or JSON Feed
  void feedUrl("http://127.0.0.1:1", "xml");
  // @ts-expect-error: a feed follows one tag or one author, not both
  void feedUrl("http://127.0.0.1:1", "rss", { tag: "rust", author: "ada" });
  // @ts-expect-error: nor does the JSON Feed
  void fetchJsonFeed(client, { tag: "rust", author: "ada" });
  return [status, input, partial, suggestion, change];
}

/** Compiles only while a change entry's resource is typed as optional (absent from tombstones). */
export function changeLine(change: ChangeView): string {
  return change.article ? `${change.type}: ${change.article.title}` : `${change.type}: remove ${change.id}`;
}

/** Compiles only while a default card's always-present fields are typed as present. */
export function cardLine(card: Card): string {
  return `${card.title} (${card.slug}), ${card.reading_time_minutes} min, ${card.created_at}`;
}

/** Compiles only while a card's `highlight` is typed as optional HTML text of its title and body. */
export function resultHtml(card: Card): string {
  return card.highlight ? `<h3>${card.highlight.title}</h3><p>${card.highlight.body}</p>` : card.title;
}

/** Compiles only while the answered settings are typed with every field present (the API fills in defaults). */
export function siteHeader(site: SiteSettings): string {
  return `${site.title}: ${site.navigation.map((l) => l.label).join(", ")} (${site.url ?? "no public URL"})`;
}

/** Compiles only while a feed item's content is typed as optional: full content or a summary. */
export function feedItemText(item: JsonFeedItem): string {
  return item.content_html ?? item.content_text ?? item.summary;
}

test("the generated types reject what the API rejects (checked by tsc at build time)", () => {
  assert.equal(typeof mistakesTheTypesCatch, "function");
});
