//! `/api/v1/pages`: standalone documents, written like articles (the same bodies, rules, preconditions and
//! redirects, through the article handlers' helpers) and never listed with them.

use crate::domain::surrogate::{self, Keys};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload, Query};
use actix_web::{delete, get, patch, post, put, HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::IntoParams;

use super::articles::{
    document_etag, document_response, merge_write, parse, precondition, read_document,
};
use super::auth::{Caller, Writer};
use super::body::{self, BodyKind};
use super::problem::{ApiError, Subject, TxError};
use super::responses::{
    Authorized, BadRequest, Conflict, NotFound, PreconditionFailed, TokenRead, Write,
};
use super::views::{PageListing, PageView};
use super::{listing, run_about, Answer, Ctx};
use crate::domain::article::{ArticleInput, ArticleWrite, Visibility};
use crate::domain::page::PageInput;
use crate::domain::scope::Scope;
use crate::domain::slug::Slug;
use crate::store::document::Precondition;
use crate::store::pages::{self as store, Outcome, PageRecord};

fn subject(slug: &str) -> Subject<'_> {
    Subject { kind: "page", slug }
}

/// The path's slug, or a 404 for anything that cannot be one.
fn path_slug(slug: &str) -> Result<String, ApiError> {
    subject(slug).path_slug()
}

/// Reads find pages in any status with a `content:read` token, and only public ones without.
fn visibility(caller: &Caller) -> Visibility {
    if caller.require(Scope::ContentRead).is_ok() {
        Visibility::Any
    } else {
        Visibility::Public
    }
}

/// The page as JSON with its `ETag` (the one `If-Match` takes) and `Last-Modified`.
fn page_response(res: HttpResponseBuilder, view: &PageView) -> HttpResponse {
    // The status a reader sees changes at a scheduled page's time, with no new version.
    let status = serde_json::to_vec(&view.status).unwrap_or_default();
    let etag = document_etag(view.id, view.version, &status);
    document_response(res, etag, view.updated_at, view)
}

/// The page after a write, never cached; a creation also answers its `Location`.
fn written(status: StatusCode, record: PageRecord) -> HttpResponse {
    let view = PageView::from_record(record, Utc::now(), true);
    let mut res = HttpResponse::build(status);
    res.insert_header(super::no_store());
    if status == StatusCode::CREATED {
        res.insert_header((
            header::LOCATION,
            format!("{}/pages/{}", super::API_PREFIX, view.slug),
        ));
    }
    page_response(res, &view)
}

async fn read_page(
    req: &HttpRequest,
    payload: Payload,
    ctx: &Ctx,
) -> Result<ArticleInput, ApiError> {
    read_document::<PageInput>(req, payload, &ctx.state, &PageInput::FIELDS)
        .await
        .map(ArticleInput::from)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageListParams {
    /// Page number, from 1 (default 1).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000000, example = 1)]
    pub page: Option<String>,
    /// Pages per page, 1 to 100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
    pub per_page: Option<String>,
}

/// Pages, by title.
///
/// Public pages, or every status with a `content:read` token. Pages are never in article listings, feeds,
/// search, related articles or neighbours. Items leave out `body_markdown`, `body_html` and `toc`; read a page
/// for them.
#[utoipa::path(
    tag = "pages",
    params(PageListParams),
    responses(
        (status = 200, description = "A page of pages, by title", body = PageListing),
        (status = 400, response = BadRequest),
        TokenRead,
    ),
    security((), ("token" = []))
)]
#[get("/pages")]
pub async fn list_pages(
    Ctx { req, state }: Ctx,
    caller: Caller,
    params: Query<PageListParams>,
) -> Answer {
    let page = listing::integer("page", params.page.as_deref(), 1, 10_000_000, 1)?;
    let per_page = listing::integer("per_page", params.per_page.as_deref(), 1, 100, 20)?;
    let visibility = visibility(&caller);
    let counted = super::run(&state, move |conn| {
        store::list(conn, visibility, page, per_page)
    })
    .await?;
    let (pagination, links) = listing::page_links(
        &req,
        page,
        per_page,
        listing::Total {
            count: counted.total,
            exact: true,
        },
        false,
    );
    let now = Utc::now();
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    // Any public page change purges `pages`: no key per page is needed.
    super::surrogate::keyed(&mut res, &Keys::of([surrogate::PAGES]));
    Ok(res.json(PageListing {
        data: counted
            .rows
            .into_iter()
            .map(|r| PageView::from_record(r, now, false))
            .collect(),
        meta: super::views::Meta { pagination },
        links,
    }))
}

/// One page, whole. A former slug answers 301 to the current one.
#[utoipa::path(
    tag = "pages",
    params(("slug" = String, Path, description = "The page's slug", example = "about")),
    responses(
        (status = 200, description = "The page", body = PageView,
         headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 301, description = "The page has a new slug",
         headers(("Location" = String, description = "/api/v1/pages/{current-slug}"))),
        (status = 404, response = NotFound),
        TokenRead,
    ),
    security((), ("token" = []))
)]
#[get("/pages/{slug}")]
pub async fn get_page(Ctx { state, .. }: Ctx, caller: Caller, slug: Path<String>) -> Answer {
    let slug = path_slug(&slug)?;
    let visibility = visibility(&caller);
    let lookup = slug.clone();
    let (found, renamed) = super::run(&state, move |conn| {
        let found = store::get(conn, visibility, &lookup)?;
        let renamed = match found {
            Some(_) => None,
            None => store::renamed_to(conn, visibility, &lookup)?,
        };
        diesel::QueryResult::Ok((found, renamed))
    })
    .await?;
    match (found, renamed) {
        (Some(record), _) => {
            let mut res = HttpResponse::Ok();
            super::surrogate::keyed(&mut res, &Keys::of([surrogate::page(record.id)]));
            Ok(page_response(
                res,
                &PageView::from_record(record, Utc::now(), true),
            ))
        }
        // Stale once the former slug is taken by another page.
        (None, Some(current)) => Ok(HttpResponse::MovedPermanently()
            .insert_header((surrogate::HEADER, surrogate::PAGES))
            .insert_header((
                header::LOCATION,
                format!("{}/pages/{current}", super::API_PREFIX),
            ))
            .finish()),
        (None, None) => Err(subject(&slug).not_found()),
    }
}

/// Create a page. Its slug (given or derived from the title) must be free among pages.
///
/// The body is JSON, or Markdown with YAML front matter holding the same fields (an article's, less `tags`,
/// `authors` and `featured`). Publishing without `published_at` publishes now.
#[utoipa::path(
    tag = "pages",
    request_body(content(
        (PageInput = "application/json"),
        (String = "text/markdown", example = "---\ntitle: About\nstatus: published\n---\nI write about queues.\n"),
    )),
    responses(
        (status = 201, description = "Created", body = PageView,
         headers(("Location" = String), ("ETag" = String))),
        (status = 409, response = Conflict),
        Write,
    ),
    security(("token" = []))
)]
#[post("/pages")]
pub async fn create_page(cx: Ctx, _: Writer, payload: Payload) -> Answer {
    let write = parse(read_page(&cx.req, payload, &cx).await?, None).await?;
    let slug = write.slug.clone();
    let record = run_about(&cx.state, subject(&slug), move |conn| {
        store::create(conn, &write)
    })
    .await?;
    Ok(written(StatusCode::CREATED, record))
}

/// Create or replace the page at this slug; identical content changes nothing. `If-None-Match: *` only creates;
/// `If-Match` only replaces that version.
#[utoipa::path(
    tag = "pages",
    params(
        ("slug" = String, Path, description = "The page's slug", pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120),
        ("If-Match" = Option<String>, Header, description = "Replace only if the page's ETag is listed",
         pattern = r#"^(\*|"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}"(\s*,\s*"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}")*)$"#),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only", pattern = r"^\*$"),
    ),
    request_body(content(
        (PageInput = "application/json"),
        (String = "text/markdown", example = "---\ntitle: About\nstatus: published\n---\nI write about queues.\n"),
    )),
    responses(
        (status = 200, description = "Replaced, or unchanged", body = PageView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = PageView, headers(("Location" = String), ("ETag" = String))),
        (status = 412, response = PreconditionFailed),
        Write,
    ),
    security(("token" = []))
)]
#[put("/pages/{slug}")]
pub async fn put_page(cx: Ctx, _: Writer, slug: Path<String>, payload: Payload) -> Answer {
    let slug = Slug::parse(&slug)
        .map_err(|e| ApiError::field("slug", "format", e.to_string()))?
        .into_string();
    let precondition = precondition(&cx.req)?;
    let write = parse(read_page(&cx.req, payload, &cx).await?, Some(slug.clone())).await?;
    let outcome = run_about(&cx.state, subject(&slug), move |conn| {
        store::put(conn, &write, &precondition)
    })
    .await?;
    Ok(match outcome {
        Outcome::Created(r) => written(StatusCode::CREATED, r),
        Outcome::Updated(r) | Outcome::Unchanged(r) => written(StatusCode::OK, r),
    })
}

/// The write representation of a stored page: what a merge patch applies to.
fn input_of(r: &PageRecord) -> Map<String, Value> {
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
    if let Some(cover) = &r.cover_image {
        map.insert("cover_image".into(), cover.clone());
    }
    map.insert("seo".into(), r.seo.clone());
    map
}

fn merged(current: &PageRecord, patch: &Value) -> Result<ArticleWrite, ApiError> {
    merge_write::<PageInput>(input_of(current), patch, &PageInput::FIELDS)
}

/// Change some fields (JSON merge patch, RFC 7396); may rename the page, whose old slug then answers 301.
#[utoipa::path(
    tag = "pages",
    params(
        ("slug" = String, Path, description = "The page's current slug"),
        ("If-Match" = Option<String>, Header, description = "Apply only if the page's ETag is listed",
         pattern = r#"^(\*|"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}"(\s*,\s*"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}")*)$"#),
    ),
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"title": "About me"})),
        (Object = "application/json", example = json!({"slug": "about-me"})),
    )),
    responses(
        (status = 200, description = "The page after the patch", body = PageView, headers(("ETag" = String))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        Write,
    ),
    security(("token" = []))
)]
#[patch("/pages/{slug}")]
pub async fn patch_page(cx: Ctx, _: Writer, slug: Path<String>, payload: Payload) -> Answer {
    let Ctx { req, state } = cx;
    let slug = path_slug(&slug)?;
    body::kind(&req, &[BodyKind::MergePatch, BodyKind::Json])?;
    let precondition = precondition(&req)?;
    if matches!(precondition, Precondition::Absent) {
        return Err(ApiError::BadRequest(
            "If-None-Match: * makes no sense on PATCH".to_owned(),
        ));
    }
    let patch = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    body::known_fields(&patch, &PageInput::FIELDS)?;
    let patch = Value::Object(patch);
    let lookup = slug.clone();
    let outcome = run_about(&state, subject(&slug), move |conn| {
        store::update_with(conn, &lookup, &precondition, |current| {
            merged(current, &patch).map_err(TxError::Api)
        })
    })
    .await?;
    Ok(written(StatusCode::OK, outcome.into_inner()))
}

/// Delete a page; its former slugs stop redirecting. With `If-Match`, only the listed version is deleted.
#[utoipa::path(
    tag = "pages",
    params(
        ("slug" = String, Path, description = "The page's slug"),
        ("If-Match" = Option<String>, Header, description = "Delete only if the page's ETag is listed",
         pattern = r#"^(\*|"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}"(\s*,\s*"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}")*)$"#),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        Authorized,
    ),
    security(("token" = []))
)]
#[delete("/pages/{slug}")]
pub async fn delete_page(Ctx { req, state }: Ctx, _: Writer, slug: Path<String>) -> Answer {
    let slug = path_slug(&slug)?;
    let precondition = precondition(&req)?;
    super::run(&state, move |conn| {
        store::delete(conn, &slug, &precondition)
            .map_err(|e| ApiError::from_store(e, subject(&slug)))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
