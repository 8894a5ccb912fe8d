// A small blog frontend for Folio: no framework, no build step. It reads the API base URL from `?api=` or
// from <meta name="folio-api">, routes on the URL fragment (#/, #/page/2, #/tag/rust, #/article/slug,
// #/pages/about, #/search?q=words) and renders with the DOM; the header (title, description, menu) and the
// footer's menu come from the site's settings, and the header's search box suggests titles as the reader types.
// The API is on another origin, so every request is a CORS request; `cache: "no-cache"` makes the browser
// revalidate its cached copies with If-None-Match, which Folio answers with 304.

const API = (
  new URLSearchParams(location.search).get("api") ??
  document.querySelector('meta[name="folio-api"]')?.content ??
  "http://127.0.0.1:8080"
).replace(/\/+$/, "");

const PER_PAGE = 9;
const SUGGESTIONS = 5;
const SUGGEST_DELAY_MS = 150;
const app = document.getElementById("app");
/** The feeds a page links with <link rel="alternate"> once the site's public URL is set. */
const FEEDS = [
  { format: "rss", type: "application/rss+xml", name: "RSS" },
  { format: "atom", type: "application/atom+xml", name: "Atom" },
  { format: "json", type: "application/feed+json", name: "JSON Feed" },
];
/** The site's settings (GET /api/v1/site); these stand in until they have loaded, or if they cannot be. */
let site = { title: "Folio", description: "", url: null, permalinks: {}, navigation: [], secondary_navigation: [], timezone: "UTC" };
let dateFormat = dateFormatIn("UTC");

/** Dates as "23 Nov 2026", in the site's time zone (UTC for a zone this browser does not know). */
function dateFormatIn(timeZone) {
  const options = { day: "numeric", month: "short", year: "numeric" };
  try {
    return new Intl.DateTimeFormat("en-GB", { ...options, timeZone });
  } catch {
    return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: "UTC" });
  }
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** GET a path of the API (`/api/v1/...`), with the query parameters given, as JSON. */
async function api(path, query = {}) {
  const url = new URL(API + path);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
  }
  const response = await fetch(url, { cache: "no-cache", headers: { Accept: "application/json" } });
  // Exposed by Folio's CORS configuration, so readable from this origin.
  const requestId = response.headers.get("X-Request-Id");
  const etag = response.headers.get("ETag");
  document.getElementById("request-info").textContent =
    requestId ? `Last request ${requestId}${etag ? `, ETag ${etag}` : ""}.` : "";
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** `h("a", {href: "#/"}, "text", child, ...)`: an element. Strings become text nodes, never HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const href = {
  home: (page = 1) => (page > 1 ? `#/page/${page}` : "#/"),
  tag: (slug, page = 1) => `#/tag/${encodeURIComponent(slug)}${page > 1 ? `/page/${page}` : ""}`,
  article: (slug) => `#/article/${encodeURIComponent(slug)}`,
  page: (slug) => `#/pages/${encodeURIComponent(slug)}`,
  search: (q, page = 1) => `#/search?q=${encodeURIComponent(q)}${page > 1 ? `&page=${page}` : ""}`,
};

/** An element whose content is HTML that Folio escaped: search highlights are text with `<mark>` elements around
 * the matched words, everything else in them (a `<script>` in a title included) escaped by the server. */
function marked(tag, attributes, html) {
  const element = h(tag, attributes);
  element.innerHTML = html;
  return element;
}

function formatDate(iso) {
  return iso ? dateFormat.format(new Date(iso)) : "unpublished";
}

/** A cover image; removed if it cannot be loaded (the demo blog's covers point at example.com). */
function cover(image, className) {
  if (!image?.url) return null;
  const figure = h("figure", { class: className });
  figure.append(h("img", { src: image.url, alt: image.alt ?? "", loading: "lazy", onerror: () => figure.remove() }));
  return figure;
}

function byline(article) {
  const author = article.primary_author ?? article.authors?.[0];
  return h(
    "p",
    { class: "byline" },
    author ? h("span", { class: "author" }, author.name) : null,
    h("span", { class: "when" },
      h("time", { datetime: article.published_at ?? "" }, formatDate(article.published_at)),
      " · ",
      h("span", { class: "reading-time" }, `${article.reading_time_minutes} min read`)),
  );
}

function tagPill(tag) {
  return h("a", { class: "tag", href: href.tag(tag.slug) }, tag.name);
}

/** An article card: title, summary, primary tag, reading time, date, author. */
function card(article, variant = "card") {
  return h(
    "article",
    { class: variant, "data-slug": article.slug },
    variant === "feature" ? cover(article.cover_image, "feature-cover") : null,
    article.primary_tag ? tagPill(article.primary_tag) : null,
    h("h3", { class: "card-title" }, h("a", { href: href.article(article.slug) }, article.title)),
    h("p", { class: "summary" }, article.summary),
    byline(article),
  );
}

/** A search result: the title and a fragment of the body with the matched words marked. */
function searchResult(article) {
  const highlight = article.highlight;
  const link = { href: href.article(article.slug) };
  return h(
    "article",
    { class: "card result", "data-slug": article.slug },
    article.primary_tag ? tagPill(article.primary_tag) : null,
    h("h3", { class: "card-title" }, highlight ? marked("a", link, highlight.title) : h("a", link, article.title)),
    highlight ? marked("p", { class: "excerpt" }, highlight.body) : h("p", { class: "summary" }, article.summary),
    byline(article),
  );
}

function pager(pagination, linkTo, [newer, older] = ["← Newer posts", "Older posts →"]) {
  const { page, total_pages: pages, prev_page: prev, next_page: next } = pagination;
  if (!pages || pages <= 1) return null;
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    prev ? h("a", { href: linkTo(prev), rel: "prev" }, newer) : h("span"),
    h("span", { class: "pager-position" }, `Page ${page} of ${pages}`),
    next ? h("a", { href: linkTo(next), rel: "next" }, older) : h("span"),
  );
}

async function homePage(page) {
  const [featured, latest] = await Promise.all([
    page === 1 ? api("/api/v1/featured") : null,
    api("/api/v1/articles", { page, per_page: PER_PAGE }),
  ]);
  document.title = site.title;
  const sections = [];
  if (featured?.data.length) {
    sections.push(
      h("section", { class: "featured", "aria-labelledby": "featured-heading" },
        h("h2", { id: "featured-heading", class: "section-heading" }, "Featured"),
        h("div", { class: "featured-strip" }, featured.data.map((a) => card(a, "feature")))),
    );
  }
  sections.push(
    h("section", { class: "latest", "aria-labelledby": "latest-heading" },
      h("h2", { id: "latest-heading", class: "section-heading" }, page === 1 ? "Latest posts" : `All posts, page ${page}`),
      h("div", { class: "cards" }, latest.data.map((a) => card(a))),
      pager(latest.meta.pagination, (p) => href.home(p))),
  );
  return sections;
}

async function tagPage(slug, page) {
  const [tag, listing] = await Promise.all([
    api(`/api/v1/tags/${encodeURIComponent(slug)}`),
    api("/api/v1/articles", { tag: slug, page, per_page: PER_PAGE }),
  ]);
  document.title = `${tag.name} · ${site.title}`;
  const count = listing.meta.pagination.total;
  return [
    h("header", { class: "page-header" },
      h("p", { class: "eyebrow" }, "Tag"),
      h("h1", {}, tag.name),
      tag.description ? h("p", { class: "lede" }, tag.description) : null,
      h("p", { class: "count" }, `${count} ${count === 1 ? "post" : "posts"}`)),
    h("div", { class: "cards" }, listing.data.map((a) => card(a))),
    pager(listing.meta.pagination, (p) => href.tag(slug, p)),
  ];
}

/** Search results, by relevance: Folio forgives a typo and completes the last word. */
async function searchPage(q, page) {
  const words = q.trim();
  if (!words) {
    document.title = `Search · ${site.title}`;
    return [
      h("header", { class: "page-header" },
        h("p", { class: "eyebrow" }, "Search"),
        h("h1", {}, "Search posts"),
        h("p", { class: "lede" }, "Type a few words in the box above: titles, summaries and bodies are searched.")),
    ];
  }
  const results = await api("/api/v1/articles", { q, page, per_page: PER_PAGE });
  document.title = `${words} · Search · ${site.title}`;
  const count = results.meta.pagination.total;
  return [
    h("header", { class: "page-header" },
      h("p", { class: "eyebrow" }, "Search"),
      h("h1", {}, `“${words}”`),
      h("p", { class: "count" }, `${count} ${count === 1 ? "result" : "results"}`)),
    results.data.length
      ? h("div", { class: "results" }, results.data.map(searchResult))
      : h("p", { class: "no-results" }, "No posts match. Check the spelling, or try fewer words."),
    pager(results.meta.pagination, (p) => href.search(q, p), ["← Previous", "Next →"]),
  ];
}

async function articlePage(slug) {
  const [article, related] = await Promise.all([
    api(`/api/v1/articles/${encodeURIComponent(slug)}`),
    api(`/api/v1/articles/${encodeURIComponent(slug)}/related`, { limit: 3 }),
  ]);
  document.title = `${article.seo?.meta_title ?? article.title} · ${site.title}`;
  const body = h("div", { class: "prose" });
  // body_html is rendered by Folio from the author's Markdown (raw HTML is not passed through).
  body.innerHTML = article.body_html ?? "";
  const toc = article.toc?.length
    ? h("nav", { class: "toc", "aria-label": "Contents" },
        h("p", { class: "toc-title" }, "Contents"),
        h("ol", {}, article.toc.map((e) => h("li", { class: `toc-level-${e.level}` },
          h("a", { href: `#/article/${encodeURIComponent(slug)}/${encodeURIComponent(e.id)}` }, e.text)))))
    : null;
  return [
    h("article", { class: "post", "data-slug": article.slug },
      h("header", { class: "post-header" },
        h("div", { class: "tags" }, article.tags.map(tagPill)),
        h("h1", {}, article.title),
        h("p", { class: "lede" }, article.summary),
        byline(article)),
      cover(article.cover_image, "post-cover"),
      toc,
      body,
      h("nav", { class: "neighbours", "aria-label": "More posts" },
        article.newer
          ? h("a", { class: "newer", rel: "next", href: href.article(article.newer.slug) },
              h("span", { class: "label" }, "← Newer"), h("span", { class: "title" }, article.newer.title))
          : h("span"),
        article.older
          ? h("a", { class: "older", rel: "prev", href: href.article(article.older.slug) },
              h("span", { class: "label" }, "Older →"), h("span", { class: "title" }, article.older.title))
          : h("span"))),
    related.data.length
      ? h("section", { class: "related", "aria-labelledby": "related-heading" },
          h("h2", { id: "related-heading", class: "section-heading" }, "Related posts"),
          h("div", { class: "cards" }, related.data.map((a) => card(a))))
      : null,
  ];
}

/** A page (About, Colophon): its title and body, no tags, dates or neighbours. A former slug answers 301, which
 * fetch follows; the address then shows the current slug. */
async function sitePage(slug) {
  const page = await api(`/api/v1/pages/${encodeURIComponent(slug)}`);
  if (page.slug !== slug && location.hash === href.page(slug)) history.replaceState(null, "", href.page(page.slug));
  document.title = `${page.seo?.meta_title ?? page.title} · ${site.title}`;
  const body = h("div", { class: "prose" });
  // body_html is rendered by Folio from the author's Markdown (raw HTML is not passed through).
  body.innerHTML = page.body_html ?? "";
  return [
    h("article", { class: "post standalone", "data-slug": page.slug },
      h("header", { class: "post-header" }, h("h1", {}, page.title)),
      cover(page.cover_image, "post-cover"),
      body),
  ];
}

/** Where a link of the site's menus leads here. The menus hold the public site's addresses: `/`, and paths of the
 * site's permalinks (`/about/` for a page, `/tag/rust/`, `/blog/slug/`), possibly with the site's URL in front;
 * those become this frontend's routes. Anything else (another site, a path with no view here) stays a link to it. */
function menuHref(url) {
  const path = site.url && url.startsWith(`${site.url}/`) ? url.slice(site.url.length) : url;
  if (!path.startsWith("/")) return url;
  if (path === "/") return href.home();
  for (const kind of ["page", "article", "tag"]) {
    const slug = permalinkSlug(site.permalinks?.[kind], path);
    if (slug) return href[kind](slug);
  }
  return site.url ? `${site.url}${path}` : url;
}

/** The slug in `path` when it is an address of the permalink `template` (e.g. `/tag/{slug}/`), else null. */
function permalinkSlug(template, path) {
  if (!template) return null;
  const pattern = template
    .replace(/\/$/, "")
    .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
    .replace(/\{(slug|year|month|day)\}/g, (_, part) => (part === "slug" ? "(?<slug>[a-z0-9]+(?:-[a-z0-9]+)*)" : "\\d{2,4}"));
  return new RegExp(`^${pattern}/?$`).exec(path)?.groups.slug ?? null;
}

/** The header's title, description and menu, the footer's menu and feed links, and the feeds' <link> elements,
 * from the site's settings. */
function showSite() {
  document.documentElement.lang = site.locale ?? "en";
  dateFormat = dateFormatIn(site.timezone);
  document.getElementById("site-title").textContent = site.title;
  const tagline = document.getElementById("site-tagline");
  tagline.textContent = site.description ?? "";
  tagline.hidden = !site.description;
  const menu = (links) => links.map((link) => h("a", { href: menuHref(link.url) }, link.label));
  document.getElementById("site-menu").replaceChildren(...menu(site.navigation ?? []));
  document.getElementById("footer-menu").replaceChildren(...menu(site.secondary_navigation ?? []));

  // Feeds write absolute links from the site's URL: Folio answers 409 until it is set, so only then link them.
  document.querySelectorAll('link[rel="alternate"][data-feed]').forEach((link) => link.remove());
  const feeds = site.url ? FEEDS : [];
  for (const feed of feeds) {
    document.head.append(h("link", {
      rel: "alternate", type: feed.type, title: `${site.title} (${feed.name})`,
      href: `${API}/api/v1/feeds/${feed.format}`, "data-feed": feed.format,
    }));
  }
  const subscribe = document.getElementById("feed-links");
  subscribe.hidden = !feeds.length;
  subscribe.replaceChildren(
    ...(feeds.length ? ["Follow: "] : []),
    ...feeds.flatMap((feed, i) => [i ? " · " : "", h("a", { href: `${API}/api/v1/feeds/${feed.format}`, type: feed.type }, feed.name)]),
  );
}

/** Marks the menus' link to the page shown (`aria-current`). */
function markCurrent() {
  const here = location.hash || href.home();
  for (const link of document.querySelectorAll("#site-menu a, #footer-menu a")) {
    if (link.getAttribute("href") === here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/** The site's settings, once per visit; the pages render after them (their titles hold the site's). */
const siteReady = api("/api/v1/site")
  .then((settings) => { site = settings; })
  .catch(() => {})
  .then(showSite);

async function tagNav() {
  const tags = await api("/api/v1/tags", { hide_empty: true, sort: "-article_count", per_page: 8 });
  document.getElementById("tag-nav").replaceChildren(
    ...tags.data.map((t) => h("a", { href: href.tag(t.slug) }, t.name)),
  );
}

/** `#/`, `#/page/2`, `#/tag/rust`, `#/tag/rust/page/2`, `#/article/slug`, `#/article/slug/heading-id`,
 * `#/pages/about`, `#/search?q=words`, `#/search?q=words&page=2`. */
function route() {
  const fragment = location.hash.replace(/^#\/?/, "");
  const at = fragment.indexOf("?");
  const path = at < 0 ? fragment : fragment.slice(0, at);
  const params = new URLSearchParams(at < 0 ? "" : fragment.slice(at + 1));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const page = (i) => (parts[i] === "page" && Number(parts[i + 1]) > 0 ? Number(parts[i + 1]) : 1);
  if (parts[0] === "search") {
    const q = params.get("q") ?? "";
    const n = Number(params.get("page"));
    return { view: "search", q, render: () => searchPage(q, n > 0 ? n : 1) };
  }
  if (parts[0] === "tag" && parts[1]) return { view: "tag", render: () => tagPage(parts[1], page(2)) };
  if (parts[0] === "article" && parts[1]) {
    return { view: "article", anchor: parts[2], render: () => articlePage(parts[1]) };
  }
  if (parts[0] === "pages" && parts[1]) return { view: "page", render: () => sitePage(parts[1]) };
  return { view: "home", render: () => homePage(page(0)) };
}

let generation = 0;
async function render() {
  const current = ++generation;
  const { view, anchor, q, render: build } = route();
  searchBox.show(view === "search" ? q : "");
  app.setAttribute("aria-busy", "true");
  try {
    await siteReady;
    const nodes = await build();
    if (current !== generation) return;
    app.replaceChildren(...nodes.filter(Boolean));
    app.dataset.view = view;
    if (anchor) document.getElementById(anchor)?.scrollIntoView();
    else window.scrollTo(0, 0);
  } catch (error) {
    if (current !== generation) return;
    app.dataset.view = "error";
    app.replaceChildren(
      h("section", { class: "error" },
        h("h1", {}, error.status === 404 ? "Not found" : "Something went wrong"),
        h("p", {}, error instanceof ApiError ? error.message : `Could not reach the API at ${API}: ${error.message}`),
        h("p", {}, h("a", { href: "#/" }, "Back to the home page"))),
    );
  } finally {
    if (current === generation) {
      markCurrent();
      app.removeAttribute("aria-busy");
    }
  }
}

/** The header's search box: suggestions as the reader types, the results page on Enter. */
const searchBox = (() => {
  const form = document.getElementById("search-form");
  const input = document.getElementById("search-input");
  const list = document.getElementById("search-suggestions");
  let timer = 0;
  let asked = 0;
  let active = -1;

  const options = () => [...list.querySelectorAll("[role=option]")];
  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  /** Makes the option at `index` (from the end when negative) the one Enter opens. */
  function select(index) {
    const all = options();
    active = all.length ? ((index % all.length) + all.length) % all.length : -1;
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    if (active >= 0) input.setAttribute("aria-activedescendant", all[active].id);
  }
  /** Up to SUGGESTIONS titles, their matches marked, and a last option for every result. */
  function open(q, suggestions) {
    list.replaceChildren(
      ...suggestions.map((s, i) => h("li", { role: "presentation" },
        marked("a", { id: `suggestion-${i}`, role: "option", href: href.article(s.slug), "data-slug": s.slug }, s.highlight))),
      h("li", { role: "presentation", class: "suggestion-all" },
        h("a", { id: "suggestion-all", role: "option", href: href.search(q) }, `Search posts for “${q.trim()}”`)),
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    active = -1;
  }
  async function suggest() {
    const q = input.value;
    const current = ++asked;
    if (!q.trim()) return close();
    try {
      const answer = await api("/api/v1/search/suggest", { q, limit: SUGGESTIONS });
      if (current === asked && document.activeElement === input) open(q, answer.data);
    } catch {
      if (current === asked) close();
    }
  }
  function cancel() {
    clearTimeout(timer);
    asked++;
    close();
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, SUGGEST_DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") cancel();
    else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !list.hidden) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      select(active < 0 && step < 0 ? -1 : active + step);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      const chosen = options()[active];
      cancel();
      location.hash = chosen.getAttribute("href");
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cancel();
    if (input.value.trim()) location.hash = href.search(input.value.trim());
  });
  list.addEventListener("click", cancel);
  document.addEventListener("click", (event) => {
    if (!form.contains(event.target)) close();
  });

  return {
    /** Shows the current route's search (or clears the box), with no dropdown. */
    show(q) {
      cancel();
      input.value = q;
    },
  };
})();

document.getElementById("api-link").href = `${API}/api/v1/articles`;
document.getElementById("docs-link").href = `${API}/docs/`;
window.addEventListener("hashchange", render);
tagNav().catch(() => {});
render();
