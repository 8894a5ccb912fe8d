/**
 * A typed client for the Folio content API.
 *
 * The types in `schema.d.ts` are generated from `openapi/openapi.json` by openapi-typescript
 * (`npm run generate`); the runtime is openapi-fetch. Nothing here is written by hand but a few
 * conveniences a frontend or a publishing script needs on top of the generated client.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };

type Schemas = components["schemas"];
/** An article: a card in listings, the whole article (with `body_html`, `toc`, `newer`, `older`) on its own. */
export type Article = Schemas["ArticleView"];
/** A listing requested without `fields`: full cards. */
export type ArticleListing = Schemas["ArticleListing"];
/** A listing requested with `fields`: only the named properties. */
export type SparseArticleListing = Schemas["SparseArticleListing"];
/** A listing item of a request without `fields`: every property of an article but its body, toc and neighbours. */
export type Card = Schemas["ArticleCard"];
/** An article or listing item requested with `fields`: only the named properties are present. */
export type SparseCard = Schemas["SparseArticle"];
/** Where a search result (a listing with `q`) matched, in its `highlight`: HTML-escaped text with `<mark>` around
 * the matched words, safe to insert as HTML. Cards of listings without `q` have no `highlight`. */
export type Highlight = Schemas["HighlightView"];
/** A title for a search box's dropdown (`GET /api/v1/search/suggest`); its `highlight` is the title HTML-escaped,
 * with `<mark>` around what was typed. */
export type Suggestion = Schemas["SuggestionView"];
export type SuggestionList = Schemas["SuggestionList"];

/** The items of a listing requested without `fields`: the spec answers either shape, and without `fields`
 * Folio sends full cards. */
export function cardsOf(listing: { data: ReadonlyArray<Card | SparseCard> }): Card[] {
  return listing.data as Card[];
}

/** An article requested without `fields`: the spec answers either shape, and without `fields` Folio sends the
 * whole article. */
export function wholeArticle(article: Article | SparseCard): Article {
  return article as Article;
}
export type ArticleInput = Schemas["ArticleInput"];
export type Tag = Schemas["TagView"];
export type Author = Schemas["AuthorView"];
export type Pagination = Schemas["Pagination"];
export type Links = Schemas["Links"];
export type Problem = Schemas["Problem"];

/** One entry of the change feed: what happened (`type`) to which resource (`resource`, `id`, `slug`), at which
 * `position`, with the resource as it now is (`article`, `tag`, `author`, `page` or `site`); an entry without its
 * resource is a tombstone: remove the resource with that `id`. */
export type ChangeView = Schemas["ChangeView"];
/** A page of the change feed (`GET /api/v1/changes`): `data` oldest first, `meta.next` where to follow from. */
export type ChangeFeed = Schemas["ChangeFeed"];
export type ChangeType = Schemas["ChangeType"];
/** A webhook endpoint, never with its secret. */
export type WebhookView = Schemas["WebhookView"];
/** A webhook endpoint with its signing secret (`whsec_...`): answered only on creation and rotation. */
export type WebhookWithSecret = Schemas["WebhookWithSecret"];
/** A webhook endpoint as created: `url` and `events` required, `description` and `enabled` optional. */
export type WebhookInput = Schemas["WebhookInput"];
/** A JSON merge patch of a webhook endpoint: any of `url`, `events`, `description`, `enabled` (`null` clears the
 * description). The spec types this body as a bare object; this is what the server accepts. */
export type WebhookPatch = Partial<WebhookInput>;
/** One event sent (or to be sent) to one endpoint, with every attempt; `payload` is the body sent (see
 * {@link payloadOf}). */
export type DeliveryView = Schemas["DeliveryView"];
/** A page of an endpoint's delivery log, newest first (`links.next` / `meta.has_more` for older ones). */
export type DeliveryList = Schemas["DeliveryList"];
export type DeliveryStatus = Schemas["DeliveryStatus"];
/** The body of a webhook announcing a change: `data` is the change as the feed shows it with a token. */
export type WebhookEvent = Schemas["WebhookEvent"];
/** The body of a ping (`type: "ping"`). */
export type WebhookPing = Schemas["WebhookPing"];

/** A page (`/about`, `/colophon`): written like an article, without tags, authors or `featured`, and never in
 * article listings, feeds, search, related articles or neighbours. Listing items leave out `body_markdown`,
 * `body_html` and `toc`. */
export type Page = Schemas["PageView"];
/** A listing of pages, by title. */
export type PageListing = Schemas["PageListing"];
/** A page as created (`POST /api/v1/pages`): `title` and `body_markdown` required; the slug derives from the title
 * when absent. */
export type PageInput = Schemas["PageInput"];
/** A page as written at its slug (`PUT /api/v1/pages/{slug}`): a {@link PageInput} without `slug`. */
export type PageReplacement = Schemas["PageInputReplacement"];
/** A JSON merge patch of a page: the fields to change (`slug` renames it; `null` returns an optional field to
 * its default). */
export type PagePatch = Schemas["PageInputPatch"];
/** A page as a read or a write answered it, with its `etag` (send it as `ifMatch` to write over exactly this
 * version) and the response's `status` (`201` when a write created the page, `200` otherwise). */
export interface PageAnswer {
  page: Page;
  etag: string;
  status: number;
}

/** The site's settings as `GET /api/v1/site` answers them: every field, defaults filled in. */
export type SiteSettings = Schemas["SiteSettings"];
/** A link of a navigation menu or of the social links: `url` is an http(s) URL or an absolute path on the site. */
export type NavLink = Schemas["NavLink"];
/** Where each kind of content lives on the public site: paths holding `{slug}` (articles may also use `{year}`,
 * `{month}` and `{day}`). */
export type Permalinks = Schemas["Permalinks"];
export type FeedSettings = Schemas["FeedSettings"];
/** The settings as `PUT /api/v1/site` takes them: any fields (those of `permalinks` and `feeds` too); every
 * omitted one returns to its default. The spec gives each field a default, which makes them required in the
 * generated types; this is what the server accepts. */
export type SiteInput = {
  [K in keyof SiteSettings]?: K extends "permalinks" | "feeds" ? Partial<SiteSettings[K]> : SiteSettings[K];
};
/** A JSON merge patch of the settings (`PATCH /api/v1/site`): the fields to change, objects merged field by
 * field; `null` returns a field to its default. As for {@link SiteInput}, typed here as the server accepts it. */
export type SitePatch = {
  [K in keyof SiteSettings]?:
    | (K extends "permalinks" | "feeds" ? { [F in keyof SiteSettings[K]]?: SiteSettings[K][F] | null } : SiteSettings[K])
    | null;
};

/** The feeds' formats: RSS 2.0, Atom 1.0 and JSON Feed 1.1. */
export type FeedFormat = "rss" | "atom" | "json";
/** What a feed follows: the whole site, one tag or one author (a slug), never both. */
export type FeedFilter = { tag?: string; author?: undefined } | { author?: string; tag?: undefined };
/** A JSON Feed 1.1 document (`GET /api/v1/feeds/json`) as Folio writes it (the spec types it as a bare object):
 * the newest public articles, newest first, with absolute links from the site's `url` and permalinks. */
export interface JsonFeed {
  /** `https://jsonfeed.org/version/1.1` */
  version: string;
  /** The site's title (with the tag's or author's name for their feeds). */
  title: string;
  /** The public site's page of what the feed follows: its home page, a tag's or an author's page. */
  home_page_url: string;
  /** This feed's own URL on the API. */
  feed_url: string;
  description?: string;
  /** The site's `locale`. */
  language: string;
  icon?: string;
  items: JsonFeedItem[];
}
/** An article in a {@link JsonFeed}: `content_html` when the site's feeds carry full content, `content_text`
 * (the summary) when they carry summaries. */
export interface JsonFeedItem {
  /** `urn:uuid:<article id>`: survives renames. */
  id: string;
  /** The article on the public site (the site's `url` and article permalink). */
  url: string;
  title: string;
  summary: string;
  content_html?: string;
  content_text?: string;
  date_published: string;
  date_modified: string;
  authors?: { name: string; url: string }[];
  /** Tag names. */
  tags?: string[];
  image?: string;
}

/** Query parameters of `GET /api/v1/articles` (and `/api/v1/featured`). */
export type ArticleQuery = NonNullable<operations["list_articles"]["parameters"]["query"]>;
/** Query parameters of `GET /api/v1/search/suggest`. */
export type SuggestQuery = operations["suggest"]["parameters"]["query"];
/** Query parameters of `GET /api/v1/changes`. */
export type ChangeQuery = NonNullable<operations["list_changes"]["parameters"]["query"]>;
/** Query parameters of `GET /api/v1/webhooks/{id}/deliveries`. */
export type DeliveryQuery = NonNullable<operations["list_deliveries"]["parameters"]["query"]>;
/** Query parameters of `GET /api/v1/pages`. */
export type PageQuery = NonNullable<operations["list_pages"]["parameters"]["query"]>;

export type FolioClient = Client<paths, `${string}/${string}`>;

/**
 * A client for the Folio API at `baseUrl` (e.g. `http://127.0.0.1:8080`, without `/api/v1`).
 * With a `token` (`folio_...`) every request carries `Authorization: Bearer <token>`.
 */
export function createFolioClient(
  baseUrl: string,
  token?: string,
  options: Omit<ClientOptions, "baseUrl"> = {},
): FolioClient {
  const headers = new Headers(options.headers as HeadersInit | undefined);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, ""), headers });
}

/** Query parameters that the spec types as integers or booleans (links carry them as text). */
const INTEGER_PARAMS = new Set(["page", "per_page", "limit"]);
const BOOLEAN_PARAMS = new Set(["featured", "hide_empty"]);

/**
 * Splits one of the relative links a listing answers (`links.next`, `links.prev`, ...) into its path and
 * its query parameters, typed as the spec declares them.
 */
export function parseLink(link: string): { path: string; query: Record<string, string | number | boolean> } {
  const url = new URL(link, "http://folio.invalid");
  const query: Record<string, string | number | boolean> = {};
  for (const [name, value] of url.searchParams) {
    if (INTEGER_PARAMS.has(name)) query[name] = Number(value);
    else if (BOOLEAN_PARAMS.has(name)) query[name] = value === "true";
    else query[name] = value;
  }
  return { path: url.pathname, query };
}

/**
 * Follows a link of an article listing (`/api/v1/articles?...` or `/api/v1/featured?...`) with the typed client.
 */
export async function followArticleLink(client: FolioClient, link: string) {
  const { path, query } = parseLink(link);
  const params = { query: query as ArticleQuery };
  switch (path) {
    case "/api/v1/articles":
      return client.GET("/api/v1/articles", { params });
    case "/api/v1/featured":
      return client.GET("/api/v1/featured", { params });
    default:
      throw new Error(`not an article listing link: ${link}`);
  }
}

/**
 * Every article matching `query`, newest first (by relevance with `query.q`, or in `query.sort` order), by walking
 * the cursors: each article exactly once, even while new ones are published.
 */
export async function* walkArticles(
  client: FolioClient,
  query: Omit<ArticleQuery, "cursor" | "page"> = {},
): AsyncGenerator<Card, void, undefined> {
  let cursor = "";
  for (;;) {
    const { data, error, response } = await client.GET("/api/v1/articles", {
      params: { query: { ...query, cursor } },
    });
    if (!data) throw new FolioError(response, error);
    yield* cardsOf(data);
    const next = data.meta.pagination.next_cursor;
    if (!next) return;
    cursor = next;
  }
}

/**
 * Titles for a search box as the reader types (`GET /api/v1/search/suggest`): the newest public articles whose
 * title has every word of `q`, the last one as a prefix; at most `limit` (1 to 10, default 5). An empty or
 * unsearchable `q` answers none. Pass a `signal` to abort a request that a later keystroke made stale.
 * Throws a {@link FolioError} when the API refuses (e.g. `400` for a `limit` out of range).
 */
export async function suggest(
  client: FolioClient,
  q: string,
  options: { limit?: number; signal?: AbortSignal } = {},
): Promise<Suggestion[]> {
  const query: SuggestQuery = { q };
  if (options.limit !== undefined) query.limit = options.limit;
  const { data, error, response } = await client.GET("/api/v1/search/suggest", {
    params: { query },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data.data;
}

/**
 * One page of the change feed (`GET /api/v1/changes`): the changes after `since`, oldest first, at most `limit`
 * (1 to 500, default 100); with `drafts: true` (needs a `content:read` token) drafts' and scheduled articles'
 * changes too. Without `since`, no entries and `meta.next` is the latest position: ask for it before reading the
 * content, then follow the feed from it. Throws a {@link FolioError} when the API refuses: `400` for a bad `since`
 * or `limit` (or a `since` ahead of the log), `410` (`/problems/changes-expired`) for a `since` older than the log
 * keeps (read the content again and start over).
 */
export async function listChanges(
  client: FolioClient,
  options: { since?: number; limit?: number; drafts?: boolean; signal?: AbortSignal } = {},
): Promise<ChangeFeed> {
  const query: ChangeQuery = {};
  if (options.since !== undefined) query.since = options.since;
  if (options.limit !== undefined) query.limit = options.limit;
  if (options.drafts !== undefined) query.drafts = options.drafts;
  const { data, error, response } = await client.GET("/api/v1/changes", {
    params: { query },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** A page of {@link followChanges}: its entries, oldest first, and the position to persist once they are
 * handled (the last entry's, or the previous position when there were none). */
export interface ChangePage {
  entries: ChangeView[];
  next: number;
}

/**
 * Reads the change feed from `since` until it is caught up (one pass, no polling): one {@link ChangePage} per
 * request, while `meta.has_more` says more follow. Handle a page's `entries`, then persist its `next`: the last
 * page's `next` is where to follow from next time (it is also the generator's return value). The last page may
 * have no entries. Throws a {@link FolioError} as {@link listChanges} does.
 *
 * ```ts
 * for await (const page of followChanges(folio, position)) {
 *   for (const change of page.entries) apply(change);
 *   position = page.next; // save it
 * }
 * ```
 */
export async function* followChanges(
  client: FolioClient,
  since: number,
  options: { limit?: number; drafts?: boolean; signal?: AbortSignal } = {},
): AsyncGenerator<ChangePage, number, undefined> {
  let position = since;
  for (;;) {
    const feed = await listChanges(client, { ...options, since: position });
    position = feed.meta.next;
    yield { entries: feed.data, next: position };
    if (!feed.meta.has_more) return position;
  }
}

/** Every webhook endpoint, oldest first, without their secrets (`GET /api/v1/webhooks`; `admin` token). */
export async function listWebhooks(
  client: FolioClient,
  options: { signal?: AbortSignal } = {},
): Promise<WebhookView[]> {
  const { data, error, response } = await client.GET("/api/v1/webhooks", { signal: options.signal });
  if (!data) throw new FolioError(response, error);
  return data.data;
}

/**
 * Creates a webhook endpoint (`POST /api/v1/webhooks`; `admin` token) and answers it with its signing secret,
 * shown this once. Throws a {@link FolioError}: `422` (`/problems/validation`, `problem.errors` naming the fields)
 * for e.g. a private or loopback `url` the server does not allow.
 */
export async function createWebhook(
  client: FolioClient,
  input: WebhookInput,
  options: { signal?: AbortSignal } = {},
): Promise<WebhookWithSecret> {
  const { data, error, response } = await client.POST("/api/v1/webhooks", { body: input, signal: options.signal });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** One webhook endpoint (`GET /api/v1/webhooks/{id}`); a {@link FolioError} with status `404` when there is none. */
export async function getWebhook(
  client: FolioClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<WebhookView> {
  const { data, error, response } = await client.GET("/api/v1/webhooks/{id}", {
    params: { path: { id } },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/**
 * Changes a webhook endpoint (`PATCH /api/v1/webhooks/{id}`, a JSON merge patch) and answers it as it now is.
 * Enabling a disabled endpoint clears its `disabled_reason` and resumes its pending deliveries.
 */
export async function patchWebhook(
  client: FolioClient,
  id: string,
  patch: WebhookPatch,
  options: { signal?: AbortSignal } = {},
): Promise<WebhookView> {
  const { data, error, response } = await client.PATCH("/api/v1/webhooks/{id}", {
    params: { path: { id } },
    // The spec types the merge patch as a bare object (`Record<string, never>`); WebhookPatch is what it accepts.
    body: patch as unknown as Record<string, never>,
    headers: { "Content-Type": "application/merge-patch+json" },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** Deletes a webhook endpoint and its delivery log (`DELETE /api/v1/webhooks/{id}`). */
export async function deleteWebhook(
  client: FolioClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const { error, response } = await client.DELETE("/api/v1/webhooks/{id}", {
    params: { path: { id } },
    signal: options.signal,
  });
  if (!response.ok) throw new FolioError(response, error);
}

/** Gives a webhook endpoint a new signing secret, answered this once (`POST /api/v1/webhooks/{id}/rotate-secret`);
 * the old one keeps signing beside it for 24 hours. */
export async function rotateWebhookSecret(
  client: FolioClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<WebhookWithSecret> {
  const { data, error, response } = await client.POST("/api/v1/webhooks/{id}/rotate-secret", {
    params: { path: { id } },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** Queues a `ping` to a webhook endpoint (`POST /api/v1/webhooks/{id}/ping`, `202`) and answers its delivery. */
export async function pingWebhook(
  client: FolioClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<DeliveryView> {
  const { data, error, response } = await client.POST("/api/v1/webhooks/{id}/ping", {
    params: { path: { id } },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/**
 * A page of a webhook endpoint's delivery log (`GET /api/v1/webhooks/{id}/deliveries`), newest first: only those
 * in `status` (`pending`, `delivered`, `failed`), only those older than the delivery `before` (the last id of the
 * previous page), at most `limit` (1 to 100, default 20). `meta.has_more` says whether older ones follow.
 */
export async function listDeliveries(
  client: FolioClient,
  id: string,
  options: { status?: DeliveryStatus; before?: string; limit?: number; signal?: AbortSignal } = {},
): Promise<DeliveryList> {
  const query: DeliveryQuery = {};
  if (options.status !== undefined) query.status = options.status;
  if (options.before !== undefined) query.before = options.before;
  if (options.limit !== undefined) query.limit = options.limit;
  const { data, error, response } = await client.GET("/api/v1/webhooks/{id}/deliveries", {
    params: { path: { id }, query },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** Sends a delivery again now, with the same `webhook-id` (`POST .../deliveries/{delivery_id}/redeliver`, `202`),
 * and answers it. */
export async function redeliver(
  client: FolioClient,
  id: string,
  deliveryId: string,
  options: { signal?: AbortSignal } = {},
): Promise<DeliveryView> {
  const { data, error, response } = await client.POST("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", {
    params: { path: { id, delivery_id: deliveryId } },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** The body a delivery sends: a {@link WebhookPing} when its `event_type` is `ping`, a {@link WebhookEvent}
 * otherwise (the spec types `payload` as a bare object). */
export function payloadOf(delivery: DeliveryView): WebhookEvent | WebhookPing {
  return delivery.payload as unknown as WebhookEvent | WebhookPing;
}

/**
 * Creates or replaces the article at `slug` from a Markdown document with YAML front matter, the way a CI
 * publisher does. Publishing the same document again changes nothing (same `version` and `updated_at`).
 */
export async function putMarkdown(
  client: FolioClient,
  slug: string,
  markdown: string,
  conditions: { ifMatch?: string; ifNoneMatch?: string } = {},
) {
  const header: { "If-Match"?: string; "If-None-Match"?: string } = {};
  if (conditions.ifMatch !== undefined) header["If-Match"] = conditions.ifMatch;
  if (conditions.ifNoneMatch !== undefined) header["If-None-Match"] = conditions.ifNoneMatch;
  return client.PUT("/api/v1/articles/{slug}", {
    params: { path: { slug }, header },
    body: markdown,
    // openapi-fetch JSON-encodes bodies by default; a text/markdown body goes as it is.
    bodySerializer: (body) => body as string,
    headers: { "Content-Type": "text/markdown; charset=utf-8" },
  });
}

/** A page's answer with its ETag, or a {@link FolioError}. */
function pageAnswer(result: { data?: Page; error?: unknown; response: Response }): PageAnswer {
  const { data, error, response } = result;
  if (!data) throw new FolioError(response, error);
  // Every page answer carries its ETag (exposed to browsers by Folio's CORS headers).
  return { page: data, etag: response.headers.get("ETag") ?? "", status: response.status };
}

/** A page's body as openapi-fetch sends it: JSON, or a Markdown document (a string) as it is. */
function pageBody<T>(input: T | string) {
  return typeof input === "string"
    ? { body: input, bodySerializer: (body: unknown) => body as string, headers: { "Content-Type": "text/markdown; charset=utf-8" } }
    : { body: input };
}

/**
 * A listing of pages, by title (`GET /api/v1/pages`): `page` (from 1) and `per_page` (1 to 100, default 20).
 * Public pages only; with a `content:read` token, drafts and scheduled pages too. Throws a {@link FolioError}
 * (`400` for a `page` or `per_page` out of range).
 */
export async function listPages(
  client: FolioClient,
  options: { page?: number; per_page?: number; signal?: AbortSignal } = {},
): Promise<PageListing> {
  const query: PageQuery = {};
  if (options.page !== undefined) query.page = options.page;
  if (options.per_page !== undefined) query.per_page = options.per_page;
  const { data, error, response } = await client.GET("/api/v1/pages", { params: { query }, signal: options.signal });
  if (!data) throw new FolioError(response, error);
  return data;
}

/**
 * One page, whole (`GET /api/v1/pages/{slug}`), with its ETag. A former slug answers `301` to the current one,
 * which fetch follows: the answer's `page.slug` is then the current slug. A draft or scheduled page is found only
 * with a `content:read` token; otherwise (and for an unknown slug) a {@link FolioError} with status `404`.
 */
export async function getPage(
  client: FolioClient,
  slug: string,
  options: { signal?: AbortSignal } = {},
): Promise<PageAnswer> {
  return pageAnswer(
    await client.GET("/api/v1/pages/{slug}", { params: { path: { slug } }, signal: options.signal }),
  );
}

/**
 * Creates a page (`POST /api/v1/pages`, `201`) from JSON, or from a Markdown document with YAML front matter
 * holding the same fields (a string). Publishing without `published_at` publishes now; without `status` the page
 * is a draft. Throws a {@link FolioError}: `409` when a page has the slug, `422` (`/problems/validation`,
 * `problem.errors` naming the fields) for an invalid field or one pages do not have (`tags`, `authors`,
 * `featured`).
 */
export async function createPage(
  client: FolioClient,
  input: PageInput | string,
  options: { signal?: AbortSignal } = {},
): Promise<PageAnswer> {
  return pageAnswer(await client.POST("/api/v1/pages", { ...pageBody(input), signal: options.signal }));
}

/**
 * Creates (`201`) or replaces (`200`) the page at `slug` (`PUT /api/v1/pages/{slug}`) from JSON or from a Markdown
 * document with YAML front matter (a string), the way a CI publisher does; writing the same content again changes
 * nothing (same `version`, `updated_at` and ETag). `ifNoneMatch: "*"` only creates; `ifMatch` (an ETag from an
 * earlier answer) only replaces that version: otherwise a {@link FolioError} with status `412`.
 */
export async function putPage(
  client: FolioClient,
  slug: string,
  input: PageReplacement | string,
  options: { ifMatch?: string; ifNoneMatch?: "*"; signal?: AbortSignal } = {},
): Promise<PageAnswer> {
  const header: { "If-Match"?: string; "If-None-Match"?: string } = {};
  if (options.ifMatch !== undefined) header["If-Match"] = options.ifMatch;
  if (options.ifNoneMatch !== undefined) header["If-None-Match"] = options.ifNoneMatch;
  return pageAnswer(
    await client.PUT("/api/v1/pages/{slug}", {
      params: { path: { slug }, header },
      ...pageBody(input),
      signal: options.signal,
    }),
  );
}

/**
 * Changes some of a page's fields (`PATCH /api/v1/pages/{slug}`, a JSON merge patch) and answers it as it now is.
 * A new `slug` renames it: the old one then answers `301`. With `ifMatch`, only that version is changed (`412`
 * otherwise); `404` for an unknown slug, `409` when another page has the new slug.
 */
export async function patchPage(
  client: FolioClient,
  slug: string,
  patch: PagePatch,
  options: { ifMatch?: string; signal?: AbortSignal } = {},
): Promise<PageAnswer> {
  const header: { "If-Match"?: string } = {};
  if (options.ifMatch !== undefined) header["If-Match"] = options.ifMatch;
  return pageAnswer(
    await client.PATCH("/api/v1/pages/{slug}", {
      params: { path: { slug }, header },
      body: patch,
      headers: { "Content-Type": "application/merge-patch+json" },
      signal: options.signal,
    }),
  );
}

/** Deletes a page (`DELETE /api/v1/pages/{slug}`); its former slugs stop redirecting. With `ifMatch`, only that
 * version is deleted (`412` otherwise); `404` for an unknown slug. */
export async function deletePage(
  client: FolioClient,
  slug: string,
  options: { ifMatch?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const header: { "If-Match"?: string } = {};
  if (options.ifMatch !== undefined) header["If-Match"] = options.ifMatch;
  const { error, response } = await client.DELETE("/api/v1/pages/{slug}", {
    params: { path: { slug }, header },
    signal: options.signal,
  });
  if (!response.ok) throw new FolioError(response, error);
}

/** The site's settings (`GET /api/v1/site`, public): title, description, public `url`, permalinks, logo and icon,
 * locale and time zone, navigation menus, social links and feed settings. */
export async function getSite(client: FolioClient, options: { signal?: AbortSignal } = {}): Promise<SiteSettings> {
  const { data, error, response } = await client.GET("/api/v1/site", { signal: options.signal });
  if (!data) throw new FolioError(response, error);
  return data;
}

/**
 * Replaces the site's settings (`PUT /api/v1/site`; `admin` token) and answers them: omitted fields return to
 * their defaults (`putSite(client, {})` restores every default). Throws a {@link FolioError}: `403` without the
 * `admin` scope, `422` (`problem.errors` naming the fields) for an invalid setting.
 */
export async function putSite(
  client: FolioClient,
  settings: SiteInput,
  options: { signal?: AbortSignal } = {},
): Promise<SiteSettings> {
  const { data, error, response } = await client.PUT("/api/v1/site", {
    // The spec's defaults make every field required in the generated type; SiteInput is what the server accepts.
    body: settings as Schemas["SiteSettingsReplacement"],
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/**
 * Changes some of the site's settings (`PATCH /api/v1/site`, a JSON merge patch; `admin` token) and answers them
 * all: `permalinks` and `feeds` merge field by field, `null` returns a field to its default. Throws a
 * {@link FolioError} as {@link putSite} does.
 */
export async function patchSite(
  client: FolioClient,
  patch: SitePatch,
  options: { signal?: AbortSignal } = {},
): Promise<SiteSettings> {
  const { data, error, response } = await client.PATCH("/api/v1/site", {
    // As for putSite: SitePatch is what the server accepts.
    body: patch as unknown as Schemas["SiteSettingsPatch"],
    headers: { "Content-Type": "application/merge-patch+json" },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/**
 * The URL of a feed of the API at `baseUrl` (as given to {@link createFolioClient}): `rss`, `atom` or `json`, of
 * the whole site, one tag or one author (slugs), e.g. for a page's `<link rel="alternate">`. Feeds answer
 * `409` (`/problems/site-url-unset`) until the site's `url` is set, and `404` for a tag without public articles
 * or an unknown author.
 */
export function feedUrl(baseUrl: string, format: FeedFormat, filter: FeedFilter = {}): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, "")}/api/v1/feeds/${format}`);
  if (filter.tag !== undefined) url.searchParams.set("tag", filter.tag);
  if (filter.author !== undefined) url.searchParams.set("author", filter.author);
  return url.href;
}

/**
 * The JSON Feed (`GET /api/v1/feeds/json`) of the whole site, one `tag` or one `author`: the newest public articles
 * (as many as the site's `feeds.items`), newest first. Throws a {@link FolioError}: `409`
 * (`/problems/site-url-unset`) until the site's `url` is set, `404` for a tag without public articles or an unknown
 * author, `400` for a malformed slug.
 */
export async function fetchJsonFeed(
  client: FolioClient,
  options: FeedFilter & { signal?: AbortSignal } = {},
): Promise<JsonFeed> {
  const query: NonNullable<operations["json_feed"]["parameters"]["query"]> = {};
  if (options.tag !== undefined) query.tag = options.tag;
  if (options.author !== undefined) query.author = options.author;
  const { data, error, response } = await client.GET("/api/v1/feeds/json", {
    params: { query },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  // The spec types the document as a bare object; JsonFeed is what Folio writes.
  return data as unknown as JsonFeed;
}

/** A failed request, with the RFC 9457 problem document the API answered when there is one. */
export class FolioError extends Error {
  readonly status: number;
  readonly problem?: Problem;
  constructor(response: Response, body: unknown) {
    const problem = isProblem(body) ? body : undefined;
    super(
      `${response.status} ${response.statusText} from ${response.url}` +
        (problem ? `: ${problem.title}: ${problem.detail}` : ""),
    );
    this.name = "FolioError";
    this.status = response.status;
    this.problem = problem;
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && "type" in body && "status" in body;
}

/** An uploaded file: its served `url` (immutable), sniffed `content_type`, `width`/`height` for raster images,
 * `alt`, content `hash`, and `variants` (narrower copies, narrowest first, each in the original's format then
 * WebP) for building a `srcset`. */
export type Media = Schemas["MediaView"];
export type MediaVariant = Schemas["MediaVariantView"];
export type MediaListing = Schemas["MediaListing"];
/** A media object as an upload answered it: `created` is false when these bytes were uploaded before (the
 * existing file is answered, unchanged). */
export interface MediaUpload {
  media: Media;
  created: boolean;
}

/**
 * Uploads a file (`POST /api/v1/media`; `content:write` token) as a raw body: a `Blob`/`File` (a browser's file
 * input) or bytes. The server sniffs the type from the bytes; `contentType` is only sent along. Uploading the same
 * bytes again answers the existing file (`created: false`), so a publishing script can rerun freely. Throws a
 * {@link FolioError}: `413` over the byte limit, `415` for a type not accepted, `422` (`problem.errors[0].code`
 * `dimensions`, `polyglot` or `unreadable`) for an image refused.
 */
export async function uploadMedia(
  client: FolioClient,
  file: Blob | Uint8Array,
  options: { alt?: string; filename?: string; contentType?: string; signal?: AbortSignal } = {},
): Promise<MediaUpload> {
  const body = file instanceof Uint8Array ? new Blob([new Uint8Array(file)]) : file;
  const contentType = options.contentType ?? (body.type || "application/octet-stream");
  const { data, error, response } = await client.POST("/api/v1/media", {
    params: { query: { alt: options.alt, filename: options.filename } },
    // The spec types a raw body as a binary string; a Blob is what fetch sends as is.
    body: body as unknown as string,
    bodySerializer: (b: unknown) => b as BodyInit,
    headers: { "Content-Type": contentType },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return { media: data, created: response.status === 201 };
}

/** Uploaded files, newest first (`GET /api/v1/media`; `content:read` token). */
export async function listMedia(
  client: FolioClient,
  options: { page?: number; perPage?: number; signal?: AbortSignal } = {},
): Promise<MediaListing> {
  const { data, error, response } = await client.GET("/api/v1/media", {
    params: { query: { page: options.page, per_page: options.perPage } },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** Sets (or, with `null`, clears) a file's alt text (`PATCH /api/v1/media/{id}`). */
export async function setMediaAlt(
  client: FolioClient,
  id: string,
  alt: string | null,
  options: { signal?: AbortSignal } = {},
): Promise<Media> {
  const { data, error, response } = await client.PATCH("/api/v1/media/{id}", {
    params: { path: { id } },
    body: { alt },
    signal: options.signal,
  });
  if (!data) throw new FolioError(response, error);
  return data;
}

/** Deletes a file and its variants (`DELETE /api/v1/media/{id}`). Without `force`, a file that an article or page
 * mentions is refused with a {@link FolioError} `409` naming them. */
export async function deleteMedia(
  client: FolioClient,
  id: string,
  options: { force?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const { error, response } = await client.DELETE("/api/v1/media/{id}", {
    params: { path: { id }, query: { force: options.force } },
    signal: options.signal,
  });
  if (!response.ok) throw new FolioError(response, error);
}

/** A `srcset` of an uploaded image's files in one format (the original's, or `image/webp`), narrowest first, with
 * the original last when it is in that format. */
export function srcsetOf(media: Media, contentType: string = media.content_type): string {
  const files = media.variants
    .filter((v) => v.content_type === contentType)
    .map((v) => `${v.url} ${v.width}w`);
  if (media.content_type === contentType && media.width) files.push(`${media.url} ${media.width}w`);
  return files.join(", ");
}
