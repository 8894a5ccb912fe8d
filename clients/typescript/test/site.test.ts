// The site's settings as a frontend reads them (public) and an operator writes them (`admin` token), and the feeds,
// which need the site's public URL first. Assumes a freshly seeded demo blog (`folio seed --demo`: 12 published
// articles, tag rust on 3, authors ada and grace); restores the default settings.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import {
  feedUrl,
  fetchJsonFeed,
  FolioError,
  getSite,
  patchSite,
  putSite,
  type SiteSettings,
} from "../src/index.js";
import { adminClient, FOLIO_URL, publicClient, writerClient } from "./env.js";

const admin = adminClient();
const reader = publicClient();
const SITE_URL = "https://notes.example.com";

const DEFAULTS: SiteSettings = {
  title: "Folio",
  description: "",
  url: null,
  permalinks: { article: "/blog/{slug}/", page: "/{slug}/", tag: "/tag/{slug}/", author: "/author/{slug}/" },
  logo_url: null,
  icon_url: null,
  locale: "en",
  timezone: "UTC",
  navigation: [],
  secondary_navigation: [],
  social: [],
  feeds: { content: "full", items: 20 },
};

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

async function restore() {
  assert.deepEqual(await putSite(admin, {}), DEFAULTS);
}

describe("site settings", () => {
  before(restore);
  after(restore);

  test("public defaults", async () => {
    assert.deepEqual(await getSite(reader), DEFAULTS);
  });

  test("an admin patches them (a merge patch; null returns a field to its default) and replaces them", async () => {
    const patched = await patchSite(admin, {
      title: "Systems Notes",
      description: "Essays on queues & caches.",
      url: `${SITE_URL}/`,
      navigation: [
        { label: "Home", url: "/" },
        { label: "About", url: "/about/" },
      ],
      feeds: { items: 5 },
      permalinks: { page: "/p/{slug}/" },
    });
    assert.equal(patched.title, "Systems Notes");
    assert.equal(patched.url, SITE_URL, "a final / is dropped");
    assert.deepEqual(patched.navigation.map((l) => l.label), ["Home", "About"]);
    assert.deepEqual(patched.feeds, { content: "full", items: 5 }, "objects merge field by field");
    assert.deepEqual(patched.permalinks, { ...DEFAULTS.permalinks, page: "/p/{slug}/" });
    assert.deepEqual(patched.secondary_navigation, [], "a merge patch keeps what it does not name");
    assert.deepEqual(await getSite(reader), patched, "readers see the settings at once");

    const reset = await patchSite(admin, { title: null, feeds: { items: null }, permalinks: null });
    assert.equal(reset.title, "Folio");
    assert.deepEqual(reset.feeds, DEFAULTS.feeds);
    assert.deepEqual(reset.permalinks, DEFAULTS.permalinks);
    assert.equal(reset.description, "Essays on queues & caches.");
    assert.equal(reset.url, SITE_URL);

    // Invalid settings are refused, naming the fields, and change nothing.
    await assert.rejects(patchSite(admin, { url: "ftp://notes.example.com", navigation: [{ label: "x", url: "about" }] }), (error: unknown) => {
      problem(422, "/problems/validation")(error);
      const fields = (error as FolioError).problem?.errors?.map((e) => e.field).sort() ?? [];
      assert.deepEqual(fields, ["navigation[0].url", "url"], JSON.stringify((error as FolioError).problem));
      return true;
    });
    assert.deepEqual(await getSite(reader), reset);

    // PUT replaces them all: what it omits returns to its default.
    const replaced = await putSite(admin, { title: "Replaced", feeds: { content: "summary" } });
    assert.deepEqual(replaced, { ...DEFAULTS, title: "Replaced", feeds: { content: "summary", items: 20 } });
    assert.deepEqual(await putSite(admin, { title: "Replaced", feeds: { content: "summary" } }), replaced, "the same PUT again");
  });

  test("writing them needs an admin token", async () => {
    await assert.rejects(patchSite(writerClient(), { title: "Mine" }), problem(403, "/problems/forbidden"));
    await assert.rejects(putSite(writerClient(), {}), problem(403, "/problems/forbidden"));
    await assert.rejects(patchSite(reader, { title: "Mine" }), problem(401, "/problems/unauthorized"));
    assert.notEqual((await getSite(reader)).title, "Mine");
  });
});

describe("feeds", () => {
  before(restore);
  after(restore);

  test("feedUrl: the API's feed of a format, for the site, a tag or an author", () => {
    assert.equal(feedUrl("http://127.0.0.1:8080/", "rss"), "http://127.0.0.1:8080/api/v1/feeds/rss");
    assert.equal(feedUrl("http://127.0.0.1:8080", "atom", { tag: "rust" }), "http://127.0.0.1:8080/api/v1/feeds/atom?tag=rust");
    assert.equal(feedUrl("https://api.example.com", "json", { author: "ada" }), "https://api.example.com/api/v1/feeds/json?author=ada");
  });

  test("409 until the site's url is set", async () => {
    await assert.rejects(fetchJsonFeed(reader), problem(409, "/problems/site-url-unset"));
    for (const format of ["rss", "atom", "json"] as const) {
      const response = await fetch(feedUrl(FOLIO_URL, format));
      assert.equal(response.status, 409, format);
      assert.equal(response.headers.get("content-type"), "application/problem+json");
      assert.equal(((await response.json()) as { type: string }).type, "/problems/site-url-unset");
    }
  });

  test("the JSON Feed of the site, a tag and an author; RSS and Atom beside it", async () => {
    await patchSite(admin, { title: "Systems Notes", description: "Essays.", url: SITE_URL, feeds: { items: 5 } });
    const feed = await fetchJsonFeed(reader);
    assert.equal(feed.version, "https://jsonfeed.org/version/1.1");
    assert.equal(feed.title, "Systems Notes");
    assert.equal(feed.description, "Essays.");
    assert.equal(feed.home_page_url, `${SITE_URL}/`);
    assert.equal(feed.feed_url, feedUrl(FOLIO_URL, "json"));
    assert.equal(feed.language, "en");
    assert.equal(feed.items.length, 5, "as many as feeds.items");
    const newest = (await reader.GET("/api/v1/articles", { params: { query: { per_page: 5 } } })).data!.data;
    assert.deepEqual(
      feed.items.map((i) => i.url),
      newest.map((a) => `${SITE_URL}/blog/${a.slug}/`),
      "the newest public articles, newest first, at their permalinks",
    );
    for (const item of feed.items) {
      assert.match(item.id, /^urn:uuid:[0-9a-f-]{36}$/);
      assert.ok(item.content_html?.includes("<p>"), `${item.url}: full content`);
      assert.equal(item.content_text, undefined);
      assert.ok(!Number.isNaN(Date.parse(item.date_published)));
      assert.ok(item.authors?.every((a) => a.url.startsWith(`${SITE_URL}/author/`)), JSON.stringify(item.authors));
    }

    const rust = await fetchJsonFeed(reader, { tag: "rust" });
    assert.equal(rust.items.length, 3);
    assert.equal(rust.home_page_url, `${SITE_URL}/tag/rust/`);
    assert.equal(rust.feed_url, feedUrl(FOLIO_URL, "json", { tag: "rust" }));
    for (const item of rust.items) assert.ok(item.tags?.includes("Rust"), JSON.stringify(item.tags));
    const ada = await fetchJsonFeed(reader, { author: "ada" });
    assert.ok(ada.items.length > 0);
    for (const item of ada.items) assert.ok(item.authors?.some((a) => a.name === "Ada Lovelace"), item.url);
    await assert.rejects(fetchJsonFeed(reader, { tag: "no-such-tag" }), problem(404, "/problems/not-found"));
    await assert.rejects(fetchJsonFeed(reader, { author: "Not A Slug" }), problem(400, "/problems/bad-request"));

    // Summaries instead of full content.
    await patchSite(admin, { feeds: { content: "summary" } });
    for (const item of (await fetchJsonFeed(reader)).items) {
      assert.equal(item.content_html, undefined);
      assert.equal(item.content_text, item.summary);
    }

    const types = { rss: "application/rss+xml", atom: "application/atom+xml", json: "application/feed+json" };
    for (const [format, type] of Object.entries(types) as [keyof typeof types, string][]) {
      const response = await fetch(feedUrl(FOLIO_URL, format, { tag: "rust" }));
      assert.equal(response.status, 200, format);
      assert.equal(response.headers.get("content-type"), `${type}; charset=utf-8`);
      assert.ok(response.headers.get("etag"), `${format} has an ETag`);
      const body = await response.text();
      if (format === "rss") assert.match(body, /<rss[^>]* version="2.0"/);
      if (format === "atom") assert.match(body, /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom"/);
    }
  });
});
