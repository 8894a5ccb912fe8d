//! `/api/v1/articles` and `/api/v1/featured`: public reads, token reads of drafts and scheduled articles, and
//! the writes CI scripts and editors make.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{
    delete, get, patch, post, put, web, HttpRequest, HttpResponse, HttpResponseBuilder,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::auth::Caller;
use super::body::{self, BodyKind};
use super::listing;
use super::problem::{ApiError, FieldError};
use super::views::{
    sparse, ArticleList, ArticleListing, ArticleView, CoverImage, Meta, NeighbourView, Seo,
};
use crate::db;
use crate::domain::cursor::Cursor;
use crate::domain::markdown;
use crate::domain::scope::Scope;
use crate::domain::slug::Slug;
use crate::startup::AppState;
use crate::store::articles::{
    self as store, ArticleRecord, ArticleWrite, Filters, Include, ListError, ListQuery, Outcome,
    Precondition, Sort, Visibility, Window, WriteError,
};

/// Query parameters of article listings. Unknown parameters are rejected.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleListParams {
    /// Page number (page mode), from 1; a page past the last is empty. Not with `cursor`.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000000, example = 2)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 10; 3 on `/featured`).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 10)]
    pub per_page: Option<String>,
    /// Cursor mode: an opaque cursor from `next_cursor` / `prev_cursor`, or empty for the first page.
    #[param(value_type = Option<String>)]
    pub cursor: Option<String>,
    /// Tag slugs, comma separated: articles with any of them.
    #[param(value_type = Option<String>, example = "rust,databases")]
    pub tag: Option<String>,
    /// Tag slugs, comma separated: articles with every one of them.
    #[param(value_type = Option<String>, example = "rust,databases")]
    pub tag_all: Option<String>,
    /// An author slug.
    #[param(value_type = Option<String>, example = "ada")]
    pub author: Option<String>,
    /// `true` or `false`.
    #[param(value_type = Option<bool>)]
    pub featured: Option<String>,
    /// Full-text search over title, summary and body, in web-search syntax (`"exact phrase"`, `-word`, `or`).
    /// Results come by relevance unless `sort` is given.
    #[param(value_type = Option<String>, max_length = 500, example = "message queues")]
    pub q: Option<String>,
    /// Only articles published at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-01-01T00:00:00Z")]
    pub published_after: Option<String>,
    /// Only articles published before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-02-01T00:00:00Z")]
    pub published_before: Option<String>,
    /// `-published_at` (default), `published_at`, `title` or `-updated_at`.
    #[param(value_type = Option<String>, pattern = "^(-published_at|published_at|title|-updated_at)$", example = "-published_at")]
    pub sort: Option<String>,
    /// Article fields to return, comma separated (sparse fieldset), e.g. `slug,title,published_at`.
    #[param(value_type = Option<String>, example = "slug,title,summary,published_at")]
    pub fields: Option<String>,
    /// With a `content:read` token: `draft`, `scheduled`, `published` (default) or `any`.
    #[param(value_type = Option<String>, pattern = "^(draft|scheduled|published|any)$")]
    pub status: Option<String>,
}

/// The statuses a read may ask for; anything but `published` needs a `content:read` token.
fn visibility(caller: &Caller, status: Option<&str>) -> Result<Visibility, ApiError> {
    let wanted = listing::one_of(
        "status",
        status,
        &[
            ("published", Visibility::Public),
            ("draft", Visibility::Draft),
            ("scheduled", Visibility::Scheduled),
            ("any", Visibility::Any),
        ],
        Visibility::Public,
    )?;
    if wanted != Visibility::Public {
        caller.require(Scope::ContentRead)?;
    }
    Ok(wanted)
}

const CARD_FIELDS: [&str; 20] = [
    "id",
    "slug",
    "title",
    "summary",
    "word_count",
    "reading_time_minutes",
    "status",
    "featured",
    "published_at",
    "created_at",
    "updated_at",
    "version",
    "tags",
    "primary_tag",
    "authors",
    "primary_author",
    "cover_image",
    "seo",
    "body_markdown",
    "body_html",
];

/// `fields`: the named fields, each a known article field, or `None` for the default card.
fn fields(value: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = listing::text("fields", value, 1000)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for name in value.split(',').map(str::trim) {
        let known = CARD_FIELDS.contains(&name) || name == "toc";
        if !known {
            return Err(ApiError::BadRequest(format!(
                "query parameter `fields` names `{name}`, which is not an article field in listings; known: {}, toc",
                CARD_FIELDS.join(", ")
            )));
        }
        if !out.iter().any(|f| f == name) {
            out.push(name.to_owned());
        }
    }
    Ok(Some(out))
}

fn include_for(fields: Option<&[String]>) -> Include {
    let has = |n: &str| fields.is_some_and(|f| f.iter().any(|x| x == n));
    let card = |n: &str| fields.is_none() || has(n);
    Include {
        body_markdown: has("body_markdown"),
        body_html: has("body_html"),
        toc: has("toc"),
        tags: card("tags") || card("primary_tag"),
        authors: card("authors") || card("primary_author"),
    }
}

struct Parsed {
    query: ListQuery,
    fields: Option<Vec<String>>,
    cursor_text: Option<String>,
}

fn parse(
    params: &ArticleListParams,
    caller: &Caller,
    secret: &[u8],
    default_per_page: i64,
    featured: Option<bool>,
) -> Result<Parsed, ApiError> {
    let visibility = visibility(caller, params.status.as_deref())?;
    let per_page = listing::integer(
        "per_page",
        params.per_page.as_deref(),
        1,
        100,
        default_per_page,
    )?;
    let q = listing::text("q", params.q.as_deref(), 500)?
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    let sort = listing::one_of(
        "sort",
        params.sort.as_deref(),
        &[
            ("-published_at", Sort::PublishedDesc),
            ("published_at", Sort::PublishedAsc),
            ("title", Sort::Title),
            ("-updated_at", Sort::UpdatedDesc),
        ],
        if q.is_some() {
            Sort::Relevance
        } else {
            Sort::PublishedDesc
        },
    )?;
    let filters = Filters {
        tags_any: listing::slugs("tag", params.tag.as_deref())?,
        tags_all: listing::slugs("tag_all", params.tag_all.as_deref())?,
        author: listing::slugs("author", params.author.as_deref())?
            .into_iter()
            .next(),
        featured: featured.or(listing::boolean("featured", params.featured.as_deref())?),
        q,
        published_after: listing::timestamp("published_after", params.published_after.as_deref())?,
        published_before: listing::timestamp(
            "published_before",
            params.published_before.as_deref(),
        )?,
    };
    if params.author.as_deref().is_some_and(|a| a.contains(',')) {
        return Err(ApiError::BadRequest(
            "query parameter `author` takes one author slug".to_owned(),
        ));
    }
    let window = match (&params.page, &params.cursor) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "query parameters `page` and `cursor` cannot be combined: use one pagination mode"
                    .to_owned(),
            ))
        }
        (_, Some(c)) if c.is_empty() => Window::Cursor {
            cursor: None,
            per_page,
        },
        (_, Some(c)) => {
            let cursor = Cursor::decode(secret, c)
                .ok()
                .filter(|cur| cur.sort == sort.name())
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "query parameter `cursor` is not a cursor this listing issued (with these `sort` and `q`)"
                            .to_owned(),
                    )
                })?;
            Window::Cursor {
                cursor: Some(cursor),
                per_page,
            }
        }
        (page, None) => Window::Page {
            page: listing::integer("page", page.as_deref(), 1, 10_000_000, 1)?,
            per_page,
        },
    };
    let fields = fields(params.fields.as_deref())?;
    Ok(Parsed {
        query: ListQuery {
            visibility,
            filters,
            sort,
            window,
            include: include_for(fields.as_deref()),
        },
        fields,
        cursor_text: params.cursor.clone(),
    })
}

async fn respond_listing(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    params: ArticleListParams,
    default_per_page: i64,
    featured: Option<bool>,
) -> Result<HttpResponse, ApiError> {
    let secret = state.cursor_secret().await?;
    let parsed = parse(&params, &caller, &secret, default_per_page, featured)?;
    let query = parsed.query.clone();
    let page = db::run(&state.pool, move |conn| store::list(conn, &query))
        .await
        .map_err(|e| match e {
            ListError::BadCursor => {
                ApiError::BadRequest("query parameter `cursor` is not valid here".to_owned())
            }
            ListError::Db(e) => ApiError::from(e),
            ListError::Conn(e) => ApiError::from(e),
        })?;
    let secret = &secret;
    let (pagination, links) = match parsed.query.window {
        Window::Page { page: n, per_page } => listing::page_links(&req, n, per_page, page.total),
        Window::Cursor { per_page, .. } => listing::cursor_links(
            &req,
            parsed.cursor_text.as_deref(),
            per_page,
            page.total,
            page.prev.map(|c| c.encode(secret)),
            page.next.map(|c| c.encode(secret)),
        ),
    };
    let now = Utc::now();
    let data: Vec<ArticleView> = page
        .rows
        .into_iter()
        .map(|r| ArticleView::from_record(r, now))
        .collect();
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    let listing = ArticleListing {
        data,
        meta: Meta { pagination },
        links,
    };
    Ok(match &parsed.fields {
        None => res.json(listing),
        Some(fields) => {
            let mut value =
                serde_json::to_value(&listing).map_err(|e| ApiError::Internal(e.to_string()))?;
            if let Some(Value::Array(items)) = value.get_mut("data") {
                for item in items.iter_mut() {
                    *item = sparse(item.take(), fields);
                }
            }
            res.json(value)
        }
    })
}

/// List articles: cards, newest first by default, in pages or by cursor.
#[utoipa::path(
    tag = "articles",
    params(ArticleListParams),
    responses(
        (status = 200, description = "A page of article cards", body = ArticleListing,
         headers(("Link" = String, description = "RFC 8288 links: first, prev, next, last"))),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 429, response = super::responses::RateLimited),
        (status = 503, response = super::responses::Unavailable),
    ),
    security((), ("token" = []))
)]
#[get("/articles")]
pub async fn list_articles(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    respond_listing(req, state, caller, params.into_inner(), 10, None).await
}

/// Featured articles: the same as `/articles?featured=true`, three per page by default.
#[utoipa::path(
    tag = "articles",
    params(ArticleListParams),
    responses(
        (status = 200, description = "A page of featured article cards", body = ArticleListing),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 429, response = super::responses::RateLimited),
        (status = 503, response = super::responses::Unavailable),
    ),
    security((), ("token" = []))
)]
#[get("/featured")]
pub async fn list_featured(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    if params.featured.is_some() {
        return Err(ApiError::BadRequest(
            "query parameter `featured` is implied by /featured; use /articles?featured=false for the others".to_owned(),
        ));
    }
    respond_listing(req, state, caller, params, 3, Some(true)).await
}

/// The ETag of an article as read: its id and version, and a digest of its `newer` / `older` links, so that a
/// 304 never hides a changed neighbour. `If-Match` compares only the id and version: the article's own state.
pub fn etag(view: &ArticleView) -> String {
    let neighbours = serde_json::to_vec(&(&view.newer, &view.older)).unwrap_or_default();
    format!(
        "\"{}-{}-{:08x}\"",
        &view.id.simple().to_string()[..8],
        view.version,
        twox_hash::XxHash3_64::oneshot(&neighbours) as u32
    )
}

/// Whether an `If-Match` value lists `*` or an ETag of this article version (strong comparison).
fn if_match_accepts(value: &str, id: uuid::Uuid, version: i64) -> bool {
    let prefix = format!("\"{}-{version}-", &id.simple().to_string()[..8]);
    value
        .split(',')
        .map(str::trim)
        .any(|v| v == "*" || (v.starts_with(&prefix) && v.ends_with('"')))
}

fn not_found(slug: &str) -> ApiError {
    ApiError::NotFound(format!("no article has the slug `{slug}`"))
}

fn article_response(mut res: HttpResponseBuilder, view: &ArticleView) -> HttpResponse {
    res.insert_header((header::ETAG, etag(view)));
    if let Ok(modified) = HeaderValue::from_str(
        &view
            .updated_at
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string(),
    ) {
        res.insert_header((header::LAST_MODIFIED, modified));
    }
    res.json(view)
}

/// The whole article with its neighbours.
async fn full_view(state: &AppState, record: ArticleRecord) -> Result<ArticleView, ApiError> {
    let for_neighbours = record.clone();
    let (newer, older) =
        if record.status == "published" && record.published_at.is_some_and(|t| t <= Utc::now()) {
            db::run(&state.pool, move |conn| {
                Ok::<_, ApiError>(store::neighbours(conn, &for_neighbours)?)
            })
            .await?
        } else {
            (None, None)
        };
    let mut view = ArticleView::from_record(record, Utc::now());
    view.newer = Some(newer.map(NeighbourView::from));
    view.older = Some(older.map(NeighbourView::from));
    Ok(view)
}

/// Reads of one article find it in any status with a `content:read` token, and only public ones without.
fn single_read_visibility(caller: &Caller) -> Visibility {
    if caller.require(Scope::ContentRead).is_ok() {
        Visibility::Any
    } else {
        Visibility::Public
    }
}

/// The path's slug, or a 404 for anything that cannot be one.
fn path_slug(slug: &str) -> Result<Slug, ApiError> {
    Slug::parse(slug).map_err(|_| not_found(slug))
}

/// One article, whole, with `newer` and `older`. A former slug answers 301 to the current one.
#[utoipa::path(
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug", example = "message-queues-explained")),
    responses(
        (status = 200, description = "The article", body = ArticleView,
         headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 301, description = "The article has a new slug",
         headers(("Location" = String, description = "/api/v1/articles/{current-slug}"))),
        (status = 304, description = "Not modified since the ETag in `If-None-Match`"),
        (status = 401, response = super::responses::Unauthorized),
        (status = 404, response = super::responses::NotFound),
        (status = 429, response = super::responses::RateLimited),
        (status = 503, response = super::responses::Unavailable),
    ),
    security((), ("token" = []))
)]
#[get("/articles/{slug}")]
pub async fn get_article(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug(&slug)?.into_string();
    let visibility = single_read_visibility(&caller);
    let lookup = slug.clone();
    let (found, renamed) = db::run(&state.pool, move |conn| {
        let found = store::get(conn, visibility, &lookup)?;
        let renamed = match found {
            Some(_) => None,
            None => store::renamed_to(conn, visibility, &lookup)?,
        };
        Ok::<_, ApiError>((found, renamed))
    })
    .await?;
    let Some(record) = found else {
        return match renamed {
            Some(current) => Ok(HttpResponse::MovedPermanently()
                .insert_header((
                    header::LOCATION,
                    format!("{}/articles/{current}", super::API_PREFIX),
                ))
                .finish()),
            None => Err(not_found(&slug)),
        };
    };
    let view = full_view(&state, record).await?;
    Ok(article_response(HttpResponse::Ok(), &view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelatedParams {
    /// How many, 1 to 20 (default 3).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 20, example = 3)]
    pub limit: Option<String>,
}

/// Public articles sharing the most tags with this one, ties broken by newest; never the article itself.
#[utoipa::path(
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug"), RelatedParams),
    responses(
        (status = 200, description = "Related article cards, best first", body = ArticleList),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 429, response = super::responses::RateLimited),
        (status = 404, response = super::responses::NotFound),
        (status = 503, response = super::responses::Unavailable),
    ),
    security((), ("token" = []))
)]
#[get("/articles/{slug}/related")]
pub async fn related(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    params: web::Query<RelatedParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = listing::integer("limit", params.limit.as_deref(), 1, 20, 3)?;
    let slug = path_slug(&slug)?.into_string();
    let visibility = single_read_visibility(&caller);
    let lookup = slug.clone();
    let rows = db::run(&state.pool, move |conn| {
        let Some(article) = store::get(conn, visibility, &lookup)? else {
            return Ok(None);
        };
        Ok::<_, ApiError>(Some(store::related(
            conn,
            article.id,
            limit,
            include_for(None),
        )?))
    })
    .await?
    .ok_or_else(|| not_found(&slug))?;
    let now = Utc::now();
    Ok(HttpResponse::Ok().json(ArticleList {
        data: rows
            .into_iter()
            .map(|r| ArticleView::from_record(r, now))
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------------------------------------
// Writes

/// The fields of an article write, as JSON or as the front matter of a Markdown document.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Message Queues Explained — SQS vs Kafka vs SNS",
    "body_markdown": "## Why queues?\n\nBecause producers and consumers fail at different times.",
    "status": "published",
    "published_at": "2026-04-18T09:00:00Z",
    "featured": true,
    "tags": ["System Design", "AWS"],
    "authors": ["ada"],
    "cover_image": {"url": "https://example.com/cover.jpg", "alt": "A harbour at dawn"},
    "seo": {"meta_title": "Queues, explained", "meta_description": null, "canonical_url": null}
}))]
pub struct ArticleInput {
    /// 1 to 200 characters.
    #[serde(default)]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// Derived from the title when absent. On `PUT` it must equal the slug in the path.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 500 characters; derived from the body when absent.
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500)]
    pub summary: Option<String>,
    /// CommonMark with tables, strikethrough, task lists and footnotes. In a Markdown body, the text after the
    /// front matter.
    #[serde(default)]
    pub body_markdown: String,
    /// `draft` (default) or `published`.
    #[schema(pattern = "^(draft|published)$")]
    pub status: Option<String>,
    /// When it is (or was) published; in the future, the article reads as `scheduled` until then.
    pub published_at: Option<DateTime<Utc>>,
    /// Default false.
    pub featured: Option<bool>,
    /// Tag names, in order; the first is the primary tag. A name whose slug is new creates the tag.
    #[validate(length(max = 100, message = "at most 100 tags"))]
    pub tags: Option<Vec<String>>,
    /// Author slugs, in order; each must exist.
    #[validate(length(max = 20, message = "at most 20 authors"))]
    pub authors: Option<Vec<String>>,
    pub cover_image: Option<CoverImage>,
    pub seo: Option<Seo>,
}

const INPUT_FIELDS: [&str; 11] = [
    "title",
    "slug",
    "summary",
    "body_markdown",
    "status",
    "published_at",
    "featured",
    "tags",
    "authors",
    "cover_image",
    "seo",
];

fn url_ok(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
        && !url.contains(char::is_whitespace)
}

/// Validates the input and renders it into what the store writes.
fn to_write(input: ArticleInput, path_slug: Option<&str>) -> Result<ArticleWrite, ApiError> {
    let mut errors: Vec<FieldError> = body::validation_errors(&input);
    if input.title.trim().is_empty() && !input.title.is_empty() {
        errors.push(FieldError::new("title", "length", "must not be blank"));
    }
    if input
        .published_at
        .is_some_and(|t| !crate::domain::time::representable(&t))
    {
        errors.push(FieldError::new(
            "published_at",
            "range",
            "must be between years 0001 and 9999 (UTC)",
        ));
    }
    let mut err =
        |field: &str, code: &str, message: &str| errors.push(FieldError::new(field, code, message));

    let slug = match (&input.slug, path_slug) {
        (Some(given), _) => match Slug::parse(given) {
            Ok(s) => Some(s.into_string()),
            Err(e) => {
                err("slug", "format", &e.to_string());
                None
            }
        },
        (None, Some(path)) => Some(path.to_owned()),
        (None, None) => match Slug::derive(&input.title) {
            Some(s) => Some(s.into_string()),
            None if input.title.is_empty() => None,
            None => {
                err(
                    "title",
                    "format",
                    "has no letters or digits to derive a slug from; give a `slug`",
                );
                None
            }
        },
    };
    let status = match input.status.as_deref() {
        None | Some("draft") => "draft",
        Some("published") => "published",
        Some("scheduled") => {
            err(
                "status",
                "enum",
                "write `published` with a future `published_at` to schedule an article",
            );
            "draft"
        }
        Some(_) => {
            err("status", "enum", "must be `draft` or `published`");
            "draft"
        }
    };
    let mut tags: Vec<(String, String)> = Vec::new();
    for (i, name) in input.tags.iter().flatten().enumerate() {
        let field = format!("tags[{i}]");
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            err(&field, "length", "must be 1 to 100 characters");
        } else if let Some(slug) = Slug::derive(name) {
            if !tags.iter().any(|(s, _)| *s == slug.as_str()) {
                tags.push((slug.into_string(), name.to_owned()));
            }
        } else {
            err(
                &field,
                "format",
                "has no letters or digits to make a tag slug from",
            );
        }
    }
    let mut authors: Vec<String> = Vec::new();
    for (i, slug) in input.authors.iter().flatten().enumerate() {
        match Slug::parse(slug) {
            Ok(s) if !authors.iter().any(|a| a == s.as_str()) => authors.push(s.into_string()),
            Ok(_) => {}
            Err(e) => err(&format!("authors[{i}]"), "format", &e.to_string()),
        }
    }
    if let Some(cover) = &input.cover_image {
        if cover.url.is_empty() || cover.url.chars().count() > 2000 || !url_ok(&cover.url) {
            err(
                "cover_image.url",
                "url",
                "must be an http(s) URL or an absolute path, at most 2000 characters",
            );
        }
        if cover.alt.as_ref().is_some_and(|a| a.chars().count() > 500) {
            err(
                "cover_image.alt",
                "length",
                "must be at most 500 characters",
            );
        }
    }
    let seo = input.seo.clone().unwrap_or_default();
    if seo
        .meta_title
        .as_ref()
        .is_some_and(|t| t.chars().count() > 200)
    {
        err("seo.meta_title", "length", "must be at most 200 characters");
    }
    if seo
        .meta_description
        .as_ref()
        .is_some_and(|t| t.chars().count() > 500)
    {
        err(
            "seo.meta_description",
            "length",
            "must be at most 500 characters",
        );
    }
    if seo
        .canonical_url
        .as_ref()
        .is_some_and(|u| u.chars().count() > 2000 || !url_ok(u))
    {
        err(
            "seo.canonical_url",
            "url",
            "must be an http(s) URL or an absolute path, at most 2000 characters",
        );
    }
    if let (Some(given), Some(path)) = (&input.slug, path_slug) {
        if given != path {
            err(
                "slug",
                "mismatch",
                "must equal the slug in the URL; use PATCH to rename an article",
            );
        }
    }
    let slug = match slug {
        Some(slug) if errors.is_empty() => slug,
        _ => {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            errors.dedup();
            return Err(ApiError::validation(errors));
        }
    };

    let rendered = markdown::render(&input.body_markdown);
    let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(ArticleWrite {
        slug,
        title: input.title,
        summary: input.summary,
        derived_summary: rendered.summary,
        body_markdown: input.body_markdown,
        body_html: rendered.html,
        body_text: rendered.text,
        toc: serde_json::to_value(&rendered.toc).unwrap_or_else(|_| json!([])),
        word_count: to_i32(rendered.word_count),
        reading_time_minutes: to_i32(rendered.reading_time_minutes),
        status: status.to_owned(),
        published_at: input.published_at,
        featured: input.featured.unwrap_or(false),
        tags,
        authors,
        cover_image: input.cover_image.and_then(|c| serde_json::to_value(c).ok()),
        seo: serde_json::to_value(seo).unwrap_or_else(|_| json!({})),
    })
}

/// Reads a write body (JSON or Markdown with front matter) into the input fields.
async fn read_input(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<ArticleInput, ApiError> {
    let kind = body::kind(req, &[BodyKind::Json, BodyKind::Markdown])?;
    let bytes = body::read(req, payload, state.max_body_bytes()).await?;
    let map = match kind {
        BodyKind::Markdown => {
            let (mut map, markdown) = body::front_matter(&bytes)?;
            if map.contains_key("body_markdown") {
                return Err(ApiError::field(
                    "body_markdown",
                    "unknown_field",
                    "in a Markdown body, the body is the text after the front matter",
                ));
            }
            map.insert("body_markdown".to_owned(), Value::String(markdown));
            map
        }
        _ => body::json_object(&bytes)?,
    };
    body::fields(map, &INPUT_FIELDS, &["title", "body_markdown"])
}

fn write_error(e: WriteError, slug: &str) -> ApiError {
    match e {
        WriteError::PreconditionFailed => ApiError::PreconditionFailed(
            "the article does not match the precondition (If-Match / If-None-Match) you sent"
                .to_owned(),
        ),
        WriteError::NotFound => not_found(slug),
        WriteError::SlugTaken(s) => {
            ApiError::Conflict(format!("an article with the slug `{s}` already exists"))
        }
        WriteError::UnknownAuthors(missing) => ApiError::validation(
            missing
                .into_iter()
                .map(|(i, s)| {
                    FieldError::new(
                        format!("authors[{i}]"),
                        "not_found",
                        format!("no author has the slug `{s}`"),
                    )
                })
                .collect(),
        ),
        WriteError::Db(e) => ApiError::from(e),
    }
}

/// `If-Match` and `If-None-Match: *` as a store precondition.
fn precondition(req: &HttpRequest) -> Result<Precondition, ApiError> {
    let get = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    match (get(header::IF_MATCH), get(header::IF_NONE_MATCH)) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "send If-Match or If-None-Match, not both".to_owned(),
        )),
        (Some(m), None) => Ok(Precondition::Matches(Box::new(move |id, version| {
            if_match_accepts(&m, id, version)
        }))),
        (None, Some(n)) if n.trim() == "*" => Ok(Precondition::Absent),
        (None, Some(_)) => Err(ApiError::BadRequest(
            "on writes, If-None-Match only takes `*` (create only)".to_owned(),
        )),
        (None, None) => Ok(Precondition::None),
    }
}

async fn written(
    state: &AppState,
    status: StatusCode,
    record: ArticleRecord,
) -> Result<HttpResponse, ApiError> {
    let view = full_view(state, record).await?;
    let mut res = HttpResponse::build(status);
    res.insert_header((
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    ));
    if status == StatusCode::CREATED {
        res.insert_header((
            header::LOCATION,
            format!("{}/articles/{}", super::API_PREFIX, view.slug),
        ));
    }
    Ok(article_response(res, &view))
}

/// Create an article. Its slug (given or derived from the title) must be free.
#[utoipa::path(
    tag = "articles",
    request_body(content(
        (ArticleInput = "application/json"),
        (String = "text/markdown", example = "---\ntitle: Hello, world\ntags: [Meta]\nstatus: published\n---\nFirst post.\n"),
    )),
    responses(
        (status = 201, description = "Created", body = ArticleView,
         headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 409, response = super::responses::Conflict),
        (status = 413, response = super::responses::PayloadTooLarge),
        (status = 415, response = super::responses::UnsupportedMediaType),
        (status = 422, response = super::responses::Validation),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[post("/articles")]
pub async fn create_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let write = to_write(read_input(&req, payload, &state).await?, None)?;
    let slug = write.slug.clone();
    let record = db::run(&state.pool, move |conn| {
        store::create(conn, &write).map_err(|e| write_error(e, &slug))
    })
    .await?;
    written(&state, StatusCode::CREATED, record).await
}

/// Create or replace the article at this slug. Replacing with identical content changes nothing (same `version`
/// and `updated_at`). `If-None-Match: *` only creates; `If-Match` only replaces that version.
#[utoipa::path(
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("If-Match" = Option<String>, Header, description = "Replace only if the article's ETag is listed"),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only"),
    ),
    request_body(content(
        (ArticleInput = "application/json"),
        (String = "text/markdown", example = "---\ntitle: Hello, world\ntags: [Meta]\nstatus: published\n---\nFirst post.\n"),
    )),
    responses(
        (status = 200, description = "Replaced, or unchanged", body = ArticleView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = ArticleView, headers(("Location" = String), ("ETag" = String))),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 412, response = super::responses::PreconditionFailed),
        (status = 413, response = super::responses::PayloadTooLarge),
        (status = 415, response = super::responses::UnsupportedMediaType),
        (status = 422, response = super::responses::Validation),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[put("/articles/{slug}")]
pub async fn put_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let slug = Slug::parse(&slug)
        .map_err(|e| ApiError::field("slug", "format", e.to_string()))?
        .into_string();
    let precondition = precondition(&req)?;
    let input = read_input(&req, payload, &state).await?;
    match put_input(&state, slug, input, precondition).await? {
        Outcome::Created(r) => written(&state, StatusCode::CREATED, r).await,
        Outcome::Updated(r) | Outcome::Unchanged(r) => written(&state, StatusCode::OK, r).await,
    }
}

/// `PUT` of validated fields: shared by the API and `folio seed`.
pub async fn put_input(
    state: &AppState,
    slug: String,
    input: ArticleInput,
    precondition: Precondition,
) -> Result<Outcome, ApiError> {
    let write = to_write(input, Some(&slug))?;
    db::run(&state.pool, move |conn| {
        store::put(conn, &write, &precondition).map_err(|e| write_error(e, &slug))
    })
    .await
}

/// The write representation of a stored article: what a merge patch applies to.
fn input_of(r: &ArticleRecord) -> Map<String, Value> {
    let tag_names: Vec<Value> = r
        .tags
        .as_ref()
        .and_then(Value::as_array)
        .map(|tags| tags.iter().filter_map(|t| t.get("name").cloned()).collect())
        .unwrap_or_default();
    let author_slugs: Vec<Value> = r
        .authors
        .as_ref()
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.get("slug").cloned()).collect())
        .unwrap_or_default();
    let mut map = Map::new();
    map.insert("title".into(), json!(r.title));
    map.insert("slug".into(), json!(r.slug));
    if !r.summary_derived {
        map.insert("summary".into(), json!(r.summary));
    }
    map.insert("body_markdown".into(), json!(r.body_markdown));
    map.insert("status".into(), json!(r.status));
    if let Some(at) = r.published_at {
        map.insert("published_at".into(), json!(at));
    }
    map.insert("featured".into(), json!(r.featured));
    map.insert("tags".into(), Value::Array(tag_names));
    map.insert("authors".into(), Value::Array(author_slugs));
    if let Some(cover) = &r.cover_image {
        map.insert("cover_image".into(), cover.clone());
    }
    map.insert("seo".into(), r.seo.clone());
    map
}

/// Change some fields (JSON merge patch, RFC 7396): a field set to `null` returns to its default. May rename the
/// article: its old slug then answers 301.
#[utoipa::path(
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's current slug"),
        ("If-Match" = Option<String>, Header, description = "Apply only if the article's ETag is listed"),
    ),
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"featured": true, "tags": ["Rust"]})),
        (Object = "application/json", example = json!({"slug": "a-new-slug"})),
    )),
    responses(
        (status = 200, description = "The article after the patch", body = ArticleView, headers(("ETag" = String))),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
        (status = 412, response = super::responses::PreconditionFailed),
        (status = 413, response = super::responses::PayloadTooLarge),
        (status = 415, response = super::responses::UnsupportedMediaType),
        (status = 422, response = super::responses::Validation),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[patch("/articles/{slug}")]
pub async fn patch_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let slug = path_slug(&slug)?.into_string();
    body::kind(&req, &[BodyKind::MergePatch, BodyKind::Json])?;
    let client_precondition = precondition(&req)?;
    if matches!(client_precondition, Precondition::Absent) {
        return Err(ApiError::BadRequest(
            "If-None-Match: * makes no sense on PATCH".to_owned(),
        ));
    }
    let patch = Value::Object(body::json_object(
        &body::read(&req, payload, state.max_body_bytes()).await?,
    )?);
    // Optimistic: apply the patch to what we read, and write only if nobody changed it meanwhile; retry if so.
    for _ in 0..3 {
        let lookup = slug.clone();
        let current = db::run(&state.pool, move |conn| {
            Ok::<_, ApiError>(store::get_any(conn, &lookup)?)
        })
        .await?
        .ok_or_else(|| not_found(&slug))?;
        if let Precondition::Matches(accepts) = &client_precondition {
            if !accepts(current.id, current.version) {
                return Err(write_error(WriteError::PreconditionFailed, &slug));
            }
        }
        let mut merged = Value::Object(input_of(&current));
        json_patch::merge(&mut merged, &patch);
        let Value::Object(map) = merged else {
            return Err(ApiError::BadRequest(
                "the patch must be a JSON object".to_owned(),
            ));
        };
        let input: ArticleInput = body::fields(map, &INPUT_FIELDS, &["title", "body_markdown"])?;
        let write = to_write(input, None)?;
        let (id, version) = (current.id, current.version);
        let seen = Precondition::Matches(Box::new(move |i, v| i == id && v == version));
        let lookup = slug.clone();
        let result = db::run(&state.pool, move |conn| {
            Ok::<_, ApiError>(store::update(conn, &lookup, &write, &seen))
        })
        .await?;
        match result {
            Ok(Outcome::Created(r) | Outcome::Updated(r) | Outcome::Unchanged(r)) => {
                return written(&state, StatusCode::OK, r).await
            }
            Err(WriteError::PreconditionFailed) => continue,
            Err(e) => return Err(write_error(e, &slug)),
        }
    }
    Err(ApiError::Conflict(
        "the article kept changing while this patch was applied; retry".to_owned(),
    ))
}

/// Delete an article.
#[utoipa::path(
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("If-Match" = Option<String>, Header, description = "Delete only if the article's ETag is listed"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 412, response = super::responses::PreconditionFailed),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[delete("/articles/{slug}")]
pub async fn delete_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let slug = path_slug(&slug)?.into_string();
    let precondition = precondition(&req)?;
    let lookup = slug.clone();
    db::run(&state.pool, move |conn| {
        store::delete(conn, &lookup, &precondition).map_err(|e| write_error(e, &lookup))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
