// Drives the example frontend and the API's /docs/ page in a real, headless Chromium (Debian's, never one
// that Playwright downloads).
//
//   FOLIO_URL=http://127.0.0.1:18180 FRONTEND_URL=http://127.0.0.1:18181 FOLIO_TOKEN=folio_... \
//     FOLIO_ADMIN_TOKEN=folio_... node browser-test.mjs
//
// FOLIO_URL serves a freshly seeded demo blog (`folio seed --demo`) with the site's settings and About page that
// seed-site.mjs writes; FRONTEND_URL serves this folder on another origin, so every API call is a cross-origin
// request. FOLIO_TOKEN (scope content:write) lets the search test publish an article with markup in its title, and
// the pages test rename a page, and remove them; FOLIO_ADMIN_TOKEN (scope admin) lets the settings test change the
// site's settings, and restore them. Screenshots go to screenshots/. CHROMIUM overrides the browser's path (default
// /usr/bin/chromium). run-tests.sh starts both servers, seeds the site and runs this.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set (see run-tests.sh)`);
  return value.replace(/\/+$/, "");
}
const API = env("FOLIO_URL");
const FRONTEND = env("FRONTEND_URL");
const apiOrigin = new URL(API).origin;
const frontendOrigin = new URL(FRONTEND).origin;
assert.notEqual(apiOrigin, frontendOrigin, "the frontend must be served from another origin than the API");
const site = (fragment) => `${FRONTEND}/index.html?api=${encodeURIComponent(API)}#${fragment}`;

/** A seeded demo article that search finds by a prefix of its title's words. */
const KEYSET = "keyset-pagination-in-postgresql";
/** An article the search test publishes (and removes): markup in its title must stay text. */
const HOSTILE = {
  slug: "quokka-markup-title",
  title: `Quokka <img src=x onerror="globalThis.pwned = 1"> & <script>globalThis.pwned = 2</script> 'Titles'`,
};
/** The article the image test publishes (and removes), showing the diagram that examples/content keeps. */
const PICTURE = { slug: "quokka-picture-post", image: join(here, "..", "content", "images", "diagram.png") };

/** The page the pages test publishes under one slug, renames, and removes. */
const RENAMED = { before: "quokka-colophon-draft", after: "quokka-colophon", title: "Quokka Colophon" };

const TIMEOUT = 15_000;
let browser;
let context;
let page;
/** Requests for any host but this machine's: they fail at name resolution (see --host-resolver-rules). */
const offMachine = [];
/** Every API response the page received: {status, url, headers}, as the page's script sees them. */
const apiResponses = [];
/** What went over the wire for the API, from Chromium's network events: {url, ifNoneMatch, status}. */
const wire = new Map();
const consoleErrors = [];
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
      // No name resolves but this machine's: nothing can leave it (the demo blog's cover images are on
      // images.example.com). Playwright's request interception would do too, but it turns the HTTP cache off,
      // and the cache's ETag revalidation is part of what is tested here.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    ],
    timeout: 30_000,
  });
  context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: "en-GB", timezoneId: "UTC" });
  context.setDefaultTimeout(TIMEOUT);
  page = await context.newPage();
  page.on("request", (request) => {
    const { hostname } = new URL(request.url());
    if (!["127.0.0.1", "localhost", "[::1]"].includes(hostname) && !request.url().startsWith("data:")) {
      offMachine.push(request.url());
    }
  });
  // Chromium's own view of the wire: a revalidated response reaches the page as the cached 200, the 304 only
  // shows here.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const onWire = (id) => wire.get(id) ?? wire.set(id, {}).get(id);
  cdp.on("Network.requestWillBeSent", (e) => { onWire(e.requestId).url = e.request.url; });
  cdp.on("Network.requestWillBeSentExtraInfo", (e) => {
    const inm = Object.entries(e.headers).find(([name]) => name.toLowerCase() === "if-none-match");
    if (inm) onWire(e.requestId).ifNoneMatch = inm[1];
  });
  cdp.on("Network.responseReceivedExtraInfo", (e) => { onWire(e.requestId).status = e.statusCode; });
  page.on("response", (response) => {
    if (response.url().startsWith(`${API}/api/`)) {
      apiResponses.push({ status: response.status(), url: response.url(), headers: response.headers() });
    }
  });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const url = message.location().url;
    // The demo blog's cover images (on example.com) cannot load here; the frontend then drops them.
    if (offMachine.includes(url)) return;
    // The frontend's "Not found" pages, asked for on purpose below.
    if (url.startsWith(`${API}/api/v1/articles/no-such-article`)) return;
    if (url.startsWith(`${API}/api/v1/pages/no-such-page`)) return;
    consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
});

after(async () => {
  await browser?.close();
});

/** Navigates to a fragment of the frontend and waits until that view has rendered. */
async function open(fragment, view) {
  await page.goto(site(fragment));
  await page.locator(`main#app[data-view="${view}"]:not([aria-busy])`).waitFor();
}

/** A GET of the API from this process, as JSON. */
async function apiJson(path) {
  const response = await fetch(`${API}${path}`);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
}

/** The href attributes of the links `locator` finds. */
function hrefs(locator) {
  return locator.evaluateAll((links) => links.map((a) => a.getAttribute("href")));
}

/** Checks a rendered card: title, summary, primary tag, reading time, date, author. */
async function checkCard(card) {
  assert.ok((await card.locator(".card-title a").innerText()).trim().length > 0, "title");
  assert.ok((await card.locator(".summary").innerText()).trim().length > 0, "summary");
  assert.equal(await card.locator("a.tag").count(), 1, "the primary tag");
  assert.match(await card.locator(".reading-time").innerText(), /^\d+ min read$/);
  assert.match(await card.locator("time").innerText(), /^\d{1,2} \w+ \d{4}$/);
  assert.match(await card.locator(".author").innerText(), /^(Ada Lovelace|Grace Hopper)$/);
}

describe("the example frontend in Chromium", () => {
  test("home page: featured strip and the latest posts", async () => {
    await open("/", "home");
    const featured = page.locator(".featured-strip > article.feature");
    assert.equal(await featured.count(), 2, "two featured articles");
    const cards = page.locator(".latest .cards > article.card");
    assert.equal(await cards.count(), 9, "nine cards on page 1");
    for (const card of [...(await featured.all()), ...(await cards.all())]) await checkCard(card);
    assert.equal(await page.locator(".pager-position").innerText(), "Page 1 of 2");
    assert.ok((await page.locator("#tag-nav a").count()) >= 5, "the tag navigation");
    // X-Request-Id and ETag are readable cross-origin only because Folio exposes them.
    await page.locator("#request-info", { hasText: "Last request" }).waitFor();
    assert.match(await page.locator("#request-info").innerText(), /Last request [A-Za-z0-9]+, ETag /);
    await page.screenshot({ path: join(shots, "home.png"), fullPage: true });

    // "Older posts" is page 2 with the remaining three.
    await page.locator(".pager a[rel=next]").click();
    await page.locator('main#app[data-view="home"] .pager-position', { hasText: "Page 2 of 2" }).waitFor();
    assert.equal(await page.locator(".latest .cards > article.card").count(), 3);
    assert.equal(await page.locator(".featured-strip").count(), 0, "the featured strip is on page 1 only");
  });

  test("the API answers the other origin with CORS headers, and revalidates with ETags", async () => {
    const fromApi = apiResponses.filter((r) => r.status === 200);
    assert.ok(fromApi.length >= 4, `${fromApi.length} API responses`);
    for (const r of fromApi) {
      assert.equal(r.headers["access-control-allow-origin"], "*", r.url);
      assert.ok(r.headers["etag"], `${r.url} has an ETag`);
    }
    // Back to page 1: the browser has it cached and revalidates (fetch cache: "no-cache" sends If-None-Match).
    const before = new Set(wire.keys());
    await page.goBack();
    await page.locator('main#app[data-view="home"] .pager-position', { hasText: "Page 1 of 2" }).waitFor();
    const again = [...wire].filter(([id, r]) => !before.has(id) && r.url?.startsWith(`${API}/api/v1/`)).map(([, r]) => r);
    const featured = again.find((r) => r.url.startsWith(`${API}/api/v1/featured`));
    const latest = again.find((r) => r.url.startsWith(`${API}/api/v1/articles?page=1`));
    for (const r of [featured, latest]) {
      assert.ok(r, "page 1 asked the API again");
      assert.ok(r.ifNoneMatch, `${r.url} sent If-None-Match`);
      assert.equal(r.status, 304, `${r.url} answered 304`);
    }
    assert.equal(await page.locator(".featured-strip > article.feature").count(), 2, "rendered from the cached body");
  });

  test("a tag page", async () => {
    await open("/", "home");
    await page.locator("#tag-nav a", { hasText: /^Rust$/ }).click();
    await page.locator('main#app[data-view="tag"]:not([aria-busy])').waitFor();
    assert.equal(await page.locator(".page-header h1").innerText(), "Rust");
    assert.equal(await page.locator(".page-header .count").innerText(), "3 posts");
    const cards = page.locator(".cards > article.card");
    assert.equal(await cards.count(), 3);
    for (const card of await cards.all()) await checkCard(card);
    assert.ok(page.url().endsWith("#/tag/rust"), page.url());
    assert.equal(await page.title(), "Rust · Folio Notes");
    await page.screenshot({ path: join(shots, "tag.png"), fullPage: true });
  });

  test("an article page: body, contents, related posts, newer and older", async () => {
    await open("/", "home");
    const fifth = page.locator(".latest .cards > article.card").nth(4);
    const title = await fifth.locator(".card-title a").innerText();
    const newerTitle = await page.locator(".latest .cards > article.card").nth(3).locator(".card-title a").innerText();
    const olderTitle = await page.locator(".latest .cards > article.card").nth(5).locator(".card-title a").innerText();
    await fifth.locator(".card-title a").click();
    await page.locator('main#app[data-view="article"]:not([aria-busy])').waitFor();

    assert.equal(await page.locator(".post-header h1").innerText(), title);
    assert.ok((await page.locator(".prose p").count()) >= 3, "the body's paragraphs");
    const headings = await page.locator(".prose h2").evaluateAll((hs) => hs.map((h) => h.id));
    const contents = await page.locator(".toc a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.ok(headings.length >= 1);
    assert.deepEqual(contents.map((href) => href.split("/").pop()), headings, "the contents link the headings");
    assert.ok((await page.locator(".post-header .tags a.tag").count()) >= 1);
    assert.match(await page.locator(".post-header .reading-time").innerText(), /^\d+ min read$/);

    const related = page.locator(".related .cards > article.card");
    const relatedCount = await related.count();
    assert.ok(relatedCount >= 1 && relatedCount <= 3, `${relatedCount} related posts`);
    for (const card of await related.all()) await checkCard(card);
    assert.equal(await page.locator(".neighbours a.newer .title").innerText(), newerTitle);
    assert.equal(await page.locator(".neighbours a.older .title").innerText(), olderTitle);
    await page.screenshot({ path: join(shots, "article.png"), fullPage: true });

    // Older, then back to it through the older post's "Newer" link.
    await page.locator(".neighbours a.older").click();
    await page.locator(".post-header h1", { hasText: olderTitle }).waitFor();
    await page.locator(".neighbours a.newer").click();
    await page.locator(".post-header h1", { hasText: title }).waitFor();

    await open("/article/no-such-article", "error");
    assert.equal(await page.locator(".error h1").innerText(), "Not found");
  });

  test("the search box: titles as the reader types, results with a typo forgiven", async () => {
    await open("/", "home");
    const input = page.locator("header.site-header #search-input");
    const dropdown = page.locator("#search-suggestions");
    const asked = [];
    const onRequest = (request) => {
      if (request.url().startsWith(`${API}/api/v1/search/suggest?`)) asked.push(new URL(request.url()).searchParams.get("q"));
    };
    page.on("request", onRequest);
    try {
      // A prefix of a word of one seeded title ("Keyset Pagination in PostgreSQL"), typed key by key.
      await input.pressSequentially("pagin", { delay: 40 });
      const option = dropdown.locator(`a[role=option][data-slug="${KEYSET}"]`);
      await option.waitFor();
      assert.equal(await option.innerText(), "Keyset Pagination in PostgreSQL");
      assert.deepEqual(await option.locator("mark").allInnerTexts(), ["Pagination"], "the typed prefix is marked");
      assert.ok((await dropdown.locator("a[role=option][data-slug]").count()) <= 5, "at most five titles");
      assert.equal(await dropdown.locator(".suggestion-all a").innerText(), "Search posts for “pagin”");
      assert.equal(await input.getAttribute("aria-expanded"), "true");
      // Debounced: fewer requests than keystrokes, the last one for all that was typed.
      assert.ok(asked.length >= 1 && asked.length < 5, `suggest asked for ${JSON.stringify(asked)}`);
      assert.equal(asked.at(-1), "pagin");
      assert.ok(asked.every((q) => "pagin".startsWith(q)), JSON.stringify(asked));
      await page.screenshot({ path: join(shots, "suggest.png") });

      // The arrow keys pick a title (Up from the box is the last option, Down from it wraps to the first), Enter
      // opens it; the dropdown closes and the box empties.
      await input.press("ArrowUp");
      assert.equal(await dropdown.locator(".suggestion-all a").getAttribute("aria-selected"), "true");
      await input.press("ArrowDown");
      assert.equal(await option.getAttribute("aria-selected"), "true");
      assert.equal(await dropdown.locator(".suggestion-all a").getAttribute("aria-selected"), "false");
      await input.press("Enter");
      await page.locator(".post-header h1", { hasText: "Keyset Pagination in PostgreSQL" }).waitFor();
      assert.ok(await dropdown.isHidden(), "the dropdown closed");
      assert.equal(await input.inputValue(), "");
    } finally {
      page.off("request", onRequest);
    }

    // From the article page's header: a query with a typo, submitted with Enter.
    await input.fill("paginaton");
    await input.press("Enter");
    await page.locator('main#app[data-view="search"]:not([aria-busy]) .results').waitFor();
    assert.ok(page.url().endsWith("#/search?q=paginaton"), page.url());
    assert.equal(await page.title(), "paginaton · Search · Folio Notes");
    assert.equal(await page.locator(".page-header h1").innerText(), "“paginaton”");
    assert.equal(await page.locator(".page-header .count").innerText(), "1 result");
    assert.equal(await input.inputValue(), "paginaton", "the box shows the search");
    assert.ok(await dropdown.isHidden(), "no dropdown over the results");
    const results = page.locator(".results > article.result");
    assert.equal(await results.count(), 1);
    const found = results.first();
    assert.equal(await found.getAttribute("data-slug"), KEYSET);
    assert.equal(await found.locator(".card-title").innerText(), "Keyset Pagination in PostgreSQL");
    assert.deepEqual(await found.locator(".card-title mark").allInnerTexts(), ["Pagination"], "the corrected word is marked");
    assert.ok((await found.locator(".excerpt mark").allInnerTexts()).includes("Pagination"), "and marked in the body");
    assert.match(await found.locator(".reading-time").innerText(), /^\d+ min read$/);
    assert.equal(await found.locator("a.tag").innerText(), "Databases");
    await page.screenshot({ path: join(shots, "search.png"), fullPage: true });

    // The result links to the article; the search page is a route of its own, reached back with Back.
    await found.locator(".card-title a").click();
    await page.locator('main#app[data-view="article"]:not([aria-busy])').waitFor();
    assert.equal(await page.locator(".post-header h1").innerText(), "Keyset Pagination in PostgreSQL");
    await page.goBack();
    await page.locator('main#app[data-view="search"]:not([aria-busy]) .results').waitFor();
    assert.equal(await input.inputValue(), "paginaton");

    // A search that finds nothing says so.
    await open("/search?q=zyzzyva", "search");
    assert.equal(await page.locator(".page-header .count").innerText(), "0 results");
    assert.equal(await page.locator(".no-results").count(), 1);
  });

  test("markup in a title is shown as text in the dropdown and the results, never run", async () => {
    const token = env("FOLIO_TOKEN");
    const article = `${API}/api/v1/articles/${HOSTILE.slug}`;
    const auth = { Authorization: `Bearer ${token}` };
    const put = await fetch(article, {
      method: "PUT",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify({
        title: HOSTILE.title,
        body_markdown: "Quokka facts, with <b>markup</b> & <script>globalThis.pwned = 3</script> in the body.",
        status: "published",
        published_at: "2001-01-01T09:00:00Z",
      }),
    });
    assert.equal(put.status, 201, await put.text());
    try {
      await open("/", "home");
      const input = page.locator("#search-input");
      await input.pressSequentially("quokk", { delay: 40 });
      const option = page.locator(`#search-suggestions a[role=option][data-slug="${HOSTILE.slug}"]`);
      await option.waitFor();
      assert.equal(await option.textContent(), HOSTILE.title, "the title, as text");
      assert.deepEqual(await option.locator("mark").allTextContents(), ["Quokka"]);
      assert.equal(await page.locator("#search-suggestions :is(img, script, b)").count(), 0, "no element from the title");

      await input.press("Enter");
      await page.locator('main#app[data-view="search"]:not([aria-busy]) .results').waitFor();
      const found = page.locator(`.results > article.result[data-slug="${HOSTILE.slug}"]`);
      assert.equal(await found.locator(".card-title").textContent(), HOSTILE.title);
      assert.deepEqual(await found.locator(".card-title mark").allTextContents(), ["Quokka"]);
      assert.deepEqual(await found.locator(".excerpt mark").allTextContents(), ["Quokka"]);
      assert.equal(await page.locator(".results :is(img, script, b)").count(), 0, "no element from the title or body");
      // Had the title's <img> been made an element, its onerror would run once `x` failed to load from this origin.
      await page.waitForTimeout(300);
      assert.equal(await page.evaluate(() => globalThis.pwned), undefined, "no script from the article ran");
    } finally {
      const removed = await fetch(article, { method: "DELETE", headers: auth });
      assert.ok([204, 404].includes(removed.status), `DELETE answered ${removed.status}`);
    }
  });

  test("the header and footer show the site's settings and link its feeds", async () => {
    const settings = await apiJson("/api/v1/site");
    assert.equal(settings.title, "Folio Notes", "run-tests.sh gave the site its settings (seed-site.mjs)");
    assert.equal(settings.url, FRONTEND, "and its public URL");
    await open("/", "home");
    assert.equal(await page.locator("header .site-title").innerText(), settings.title);
    assert.equal(await page.locator("header .site-tagline").innerText(), settings.description);
    assert.equal(await page.title(), settings.title);
    assert.equal(await page.locator("html").getAttribute("lang"), settings.locale);

    // The menus hold the public site's addresses; the frontend routes them: "/" home, "/about/" the page's
    // permalink, "/tag/rust/" the tag's.
    const menu = page.locator("header #site-menu a");
    assert.deepEqual(await menu.allInnerTexts(), settings.navigation.map((link) => link.label));
    assert.deepEqual(settings.navigation.map((link) => link.url), ["/", "/about/"]);
    assert.deepEqual(await hrefs(menu), ["#/", "#/pages/about"]);
    assert.equal(await menu.first().getAttribute("aria-current"), "page", "Home is the page shown");
    assert.equal(await menu.last().getAttribute("aria-current"), null);
    const footer = page.locator("footer #footer-menu a");
    assert.deepEqual(await footer.allInnerTexts(), settings.secondary_navigation.map((link) => link.label));
    assert.deepEqual(await hrefs(footer), ["#/pages/about", "#/tag/rust"]);

    // With the site's URL set, the feeds exist: <link rel="alternate"> for each, and links in the footer.
    const alternates = await page.locator('head link[rel="alternate"]').evaluateAll((links) =>
      links.map((link) => ({ type: link.type, title: link.title, href: link.href })));
    assert.deepEqual(alternates, [
      { type: "application/rss+xml", title: "Folio Notes (RSS)", href: `${API}/api/v1/feeds/rss` },
      { type: "application/atom+xml", title: "Folio Notes (Atom)", href: `${API}/api/v1/feeds/atom` },
      { type: "application/feed+json", title: "Folio Notes (JSON Feed)", href: `${API}/api/v1/feeds/json` },
    ]);
    for (const { type, href } of alternates) {
      const response = await fetch(href);
      assert.equal(response.status, 200, href);
      assert.equal(response.headers.get("content-type"), `${type}; charset=utf-8`, href);
    }
    assert.deepEqual(await page.locator("footer #feed-links a").allInnerTexts(), ["RSS", "Atom", "JSON Feed"]);
    assert.deepEqual(await hrefs(page.locator("footer #feed-links a")), alternates.map((a) => a.href));
    const feed = await apiJson("/api/v1/feeds/json");
    assert.equal(feed.title, settings.title);
    assert.equal(feed.home_page_url, `${FRONTEND}/`, "the feeds link the public site");

    // The footer's link to a tag opens the tag's page.
    await footer.filter({ hasText: "Posts on Rust" }).click();
    await page.locator('main#app[data-view="tag"]:not([aria-busy])').waitFor();
    assert.equal(await page.locator(".page-header h1").innerText(), "Rust");
    assert.equal(await footer.last().getAttribute("aria-current"), "page");
  });

  test("About from the menu: the page's title and body, never among the posts", async () => {
    const about = await apiJson("/api/v1/pages/about");
    assert.equal(about.status, "published", "run-tests.sh published the About page (seed-site.mjs)");
    await open("/", "home");
    await page.locator("header #site-menu a", { hasText: /^About$/ }).click();
    await page.locator('main#app[data-view="page"]:not([aria-busy])').waitFor();
    assert.ok(page.url().endsWith("#/pages/about"), page.url());
    assert.equal(await page.title(), `${about.title} · Folio Notes`);
    const shown = page.locator(`article.standalone[data-slug="about"]`);
    assert.equal(await shown.locator(".post-header h1").innerText(), about.title);
    // The body is the page's body_html, as the browser parses it.
    const same = await shown.locator(".prose").evaluate((prose, html) => {
      const parsed = document.createElement("div");
      parsed.innerHTML = html;
      return prose.innerHTML === parsed.innerHTML;
    }, about.body_html);
    assert.ok(same, "the page's body_html");
    assert.deepEqual(await shown.locator(".prose h2").allInnerTexts(), about.toc.map((entry) => entry.text));
    assert.deepEqual(await shown.locator(".prose strong").allInnerTexts(), ["Ada Lovelace", "Grace Hopper"]);
    assert.equal(await shown.locator(".prose table tr").count(), 3, "the Markdown table");
    // A page, not a post: no tags, byline, contents or neighbours.
    assert.equal(await page.locator("main :is(.tags, .byline, .toc, .neighbours, .related)").count(), 0);
    assert.equal(await page.locator('header #site-menu a[aria-current="page"]').innerText(), "About");
    assert.equal(await page.locator('footer #footer-menu a[aria-current="page"]').innerText(), "About this blog");
    await page.screenshot({ path: join(shots, "about.png"), fullPage: true });

    // Not on either page of posts, which hold the twelve articles and nothing else.
    await page.locator("header #site-menu a", { hasText: /^Home$/ }).click();
    await page.locator('main#app[data-view="home"]:not([aria-busy])').waitFor();
    const slugs = await page.locator("main article[data-slug]").evaluateAll((all) => all.map((a) => a.dataset.slug));
    const titles = await page.locator("main .card-title").allInnerTexts();
    await page.locator(".pager a[rel=next]").click();
    await page.locator('main#app[data-view="home"] .pager-position', { hasText: "Page 2 of 2" }).waitFor();
    slugs.push(...await page.locator("main article[data-slug]").evaluateAll((all) => all.map((a) => a.dataset.slug)));
    titles.push(...await page.locator("main .card-title").allInnerTexts());
    assert.equal(new Set(slugs).size, 12, "the featured two are among the latest twelve");
    assert.ok(!slugs.includes("about") && !titles.includes(about.title), JSON.stringify(titles));
    // Nor found by the search box.
    const input = page.locator("#search-input");
    await input.pressSequentially("About Fol", { delay: 20 });
    await page.locator("#search-suggestions .suggestion-all a").waitFor();
    assert.equal(await page.locator("#search-suggestions a[data-slug]").count(), 0, "no title suggested");
    await input.press("Enter");
    await page.locator('main#app[data-view="search"]:not([aria-busy])').waitFor();
    assert.equal(await page.locator(".page-header .count").innerText(), "0 results");
    await open("/search?q=colophon", "search");
    assert.equal(await page.locator(".page-header .count").innerText(), "0 results");
  });

  test("a page's former slug leads to it; an unknown page is not found", async () => {
    const auth = { Authorization: `Bearer ${env("FOLIO_TOKEN")}` };
    const put = await fetch(`${API}/api/v1/pages/${RENAMED.before}`, {
      method: "PUT",
      headers: { ...auth, "Content-Type": "text/markdown" },
      body: `---\ntitle: ${RENAMED.title}\nstatus: published\n---\nSet in **quokkas**.\n`,
    });
    assert.equal(put.status, 201, await put.text());
    try {
      const patch = await fetch(`${API}/api/v1/pages/${RENAMED.before}`, {
        method: "PATCH",
        headers: { ...auth, "Content-Type": "application/merge-patch+json" },
        body: JSON.stringify({ slug: RENAMED.after }),
      });
      assert.equal(patch.status, 200, await patch.text());
      // The API answers the old slug with a 301 to the new one (a cross-origin redirect the browser follows);
      // the address then shows the current slug.
      await open(`/pages/${RENAMED.before}`, "page");
      assert.equal(await page.locator(".post-header h1").innerText(), RENAMED.title);
      assert.equal(await page.locator(".prose strong").innerText(), "quokkas");
      assert.ok(page.url().endsWith(`#/pages/${RENAMED.after}`), page.url());
      const moved = apiResponses.find((r) => r.url === `${API}/api/v1/pages/${RENAMED.before}`);
      assert.equal(moved?.status, 301, "the old slug answered 301");
    } finally {
      for (const slug of [RENAMED.after, RENAMED.before]) {
        const removed = await fetch(`${API}/api/v1/pages/${slug}`, { method: "DELETE", headers: auth });
        assert.ok([204, 404].includes(removed.status), `DELETE ${slug} answered ${removed.status}`);
      }
    }
    await open("/pages/no-such-page", "error");
    assert.equal(await page.locator(".error h1").innerText(), "Not found");
  });

  test("the header follows the site's settings; without a URL, no feeds are linked", async () => {
    const before = await apiJson("/api/v1/site");
    const patchSite = (patch) => fetch(`${API}/api/v1/site`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${env("FOLIO_ADMIN_TOKEN")}`, "Content-Type": "application/merge-patch+json" },
      body: JSON.stringify(patch),
    });
    const changed = await patchSite({
      title: "Quokka Notes",
      description: null,
      url: null,
      navigation: [{ label: "Colophon", url: "/about/" }, { label: "Elsewhere", url: "https://example.com/" }],
    });
    assert.equal(changed.status, 200, await changed.text());
    try {
      // A new visit: the frontend reads the settings once per visit, not on every route.
      await page.goto("about:blank");
      await open("/", "home");
      assert.equal(await page.locator("header .site-title").innerText(), "Quokka Notes");
      assert.ok(await page.locator("header .site-tagline").isHidden(), "no description, no tagline");
      assert.equal(await page.title(), "Quokka Notes");
      const menu = page.locator("header #site-menu a");
      assert.deepEqual(await menu.allInnerTexts(), ["Colophon", "Elsewhere"]);
      assert.deepEqual(await hrefs(menu), ["#/pages/about", "https://example.com/"], "links elsewhere stay as they are");
      assert.equal(await page.locator('link[rel="alternate"]').count(), 0, "no feeds without the site's URL");
      assert.ok(await page.locator("footer #feed-links").isHidden());
      const unset = await fetch(`${API}/api/v1/feeds/rss`);
      assert.equal(unset.status, 409);
      assert.equal((await unset.json()).type, "/problems/site-url-unset");
    } finally {
      const restored = await patchSite({
        title: before.title, description: before.description, url: before.url, navigation: before.navigation,
      });
      assert.equal(restored.status, 200);
    }
    assert.deepEqual(await apiJson("/api/v1/site"), before);
  });

  test("an uploaded image in an article: sized, lazy, and the srcset candidate that fits the screen", async () => {
    const token = env("FOLIO_TOKEN");
    const upload = await fetch(`${API}/api/v1/media?alt=Diagram`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream" },
      body: readFileSync(PICTURE.image),
    });
    assert.ok([200, 201].includes(upload.status), `upload: ${upload.status}`);
    const media = await upload.json();
    assert.deepEqual([media.width, media.height], [1400, 700]);
    const markdown = `---\ntitle: Quokka Picture Post\nstatus: published\npublished_at: 2001-01-01T00:00:00Z\n---\n` +
      `Some words first, so that the picture is further down.\n\n![A sequence diagram](${media.url})\n`;
    const put = await fetch(`${API}/api/v1/articles/${PICTURE.slug}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/markdown; charset=utf-8" },
      body: markdown,
    });
    assert.ok([200, 201].includes(put.status), `article: ${put.status}`);
    try {
      const picture = async () => {
        await open(`/article/${PICTURE.slug}`, "article");
        const img = page.locator(".prose img");
        assert.equal(await img.getAttribute("width"), "1400");
        assert.equal(await img.getAttribute("height"), "700");
        assert.equal(await img.getAttribute("loading"), "lazy");
        assert.equal(await img.getAttribute("alt"), "A sequence diagram");
        await img.scrollIntoViewIfNeeded();
        await page.waitForFunction(() => {
          const i = document.querySelector(".prose img");
          return i && i.complete && i.naturalWidth > 0;
        });
        return img.evaluate((i) => ({
          currentSrc: i.currentSrc,
          box: [Math.round(i.getBoundingClientRect().width), Math.round(i.getBoundingClientRect().height)],
        }));
      };
      // A wide window shows the original; the box keeps the image's ratio (2:1).
      const wide = await picture();
      assert.equal(wide.currentSrc, media.url);
      assert.ok(Math.abs(wide.box[0] - 2 * wide.box[1]) <= 2, `ratio of ${wide.box}`);
      await page.screenshot({ path: join(shots, "article-with-image.png"), fullPage: true });

      // A phone-sized window loads the 480-pixel variant instead.
      const narrowPage = await context.newPage();
      const previous = page;
      page = narrowPage;
      try {
        await page.setViewportSize({ width: 400, height: 800 });
        const narrow = await picture();
        assert.equal(narrow.currentSrc, media.url.replace(/original\.png$/, "480w.png"));
        await page.screenshot({ path: join(shots, "article-with-image-narrow.png"), fullPage: true });
      } finally {
        page = previous;
        await narrowPage.close();
      }
    } finally {
      const removed = await fetch(`${API}/api/v1/articles/${PICTURE.slug}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(removed.status, 204);
      const deleted = await fetch(`${API}/api/v1/media/${media.id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${token}` },
      });
      assert.equal(deleted.status, 204);
    }
  });

  test("no script errors", () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors, []);
  });
});

describe("the API reference at /docs/", () => {
  test("lists every operation and executes GET /api/v1/articles", async (t) => {
    const spec = await (await fetch(`${API}/openapi.json`)).json();
    const methods = ["get", "put", "post", "patch", "delete"];
    const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
      methods.filter((m) => item[m]).map((m) => ({ path, method: m, id: item[m].operationId })));

    await page.goto(`${API}/docs/`);
    await page.locator(".swagger-ui .info .title", { hasText: "Folio" }).waitFor();
    await page.locator(".opblock").first().waitFor();
    assert.equal(await page.locator(".opblock").count(), operations.length, "one block per operation");
    for (const { path, method } of operations) {
      const block = page.locator(`.opblock.opblock-${method} .opblock-summary-path[data-path="${path}"]`);
      assert.equal(await block.count(), 1, `${method.toUpperCase()} ${path} is listed`);
    }

    const op = page.locator(".opblock.opblock-get", {
      has: page.locator('.opblock-summary-path[data-path="/api/v1/articles"]'),
    });
    await op.locator(".opblock-summary").first().click();
    await op.locator("button.try-out__btn").click();
    const status = op.locator(".live-responses-table tbody .response-col_status").first();
    const body = op.locator(".live-responses-table tbody .response-col_description pre").first();

    // As the form opens: Swagger UI fills each parameter in with its `example` from the spec.
    const inputs = op.locator(".parameters input[type=text], .parameters input:not([type])");
    const prefilled = (await inputs.evaluateAll((all) => all.map((i) => [i.placeholder, i.value])))
      .filter(([, value]) => value !== "");
    t.diagnostic(`Try it out pre-fills ${prefilled.map(([name, value]) => `${name}=${value}`).join(" ")}`);
    await op.locator("button.execute").click();
    await status.waitFor();
    assert.equal((await status.innerText()).trim(), "200");

    // With the form emptied, as a reader who wants every article does it.
    for (const input of await inputs.all()) await input.fill("");
    await op.locator("button.btn-clear").click();
    await op.locator("button.execute").click();
    await op.locator(".live-responses-table tbody .response-col_description pre", { hasText: '"total": 12' }).waitFor();
    assert.equal((await status.innerText()).trim(), "200");
    assert.match(await op.locator(".request-url pre").innerText(), /\/api\/v1\/articles$/);
    const shown = JSON.parse(await body.innerText());
    assert.equal(shown.data.length, 10);
    assert.equal(shown.meta.pagination.total, 12);
    await page.setViewportSize({ width: 1200, height: 2000 });
    await op.locator(".opblock-summary").first().evaluate((summary) => summary.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: join(shots, "docs.png") });
  });

  test("the pages need no other host", () => {
    // Only the demo blog's cover images (images.example.com) are elsewhere; the frontend drops them.
    const unexpected = offMachine.filter((url) => !url.startsWith("https://images.example.com/"));
    assert.deepEqual(unexpected, [], "requests for other hosts");
  });
});
