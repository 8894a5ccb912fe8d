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

/** Query parameters of `GET /api/v1/articles` (and `/api/v1/featured`). */
export type ArticleQuery = NonNullable<operations["list_articles"]["parameters"]["query"]>;
/** Query parameters of `GET /api/v1/search/suggest`. */
export type SuggestQuery = operations["suggest"]["parameters"]["query"];

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
