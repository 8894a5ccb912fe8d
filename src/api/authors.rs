//! `/api/v1/authors`: public listing and detail with counts of public articles; writes with `content:write`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::auth::Caller;
use super::body::{self, BodyKind};
use super::listing;
use super::problem::ApiError;
use super::views::{AuthorListing, AuthorView, Meta};
use crate::db;
use crate::domain::scope::Scope;
use crate::domain::slug::Slug;
use crate::startup::AppState;
use crate::store::authors::{self as store, AuthorError, AuthorOutcome, AuthorSort, AuthorWrite};

/// Query parameters of the author listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuthorListParams {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000000)]
    pub page: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub per_page: Option<String>,
    /// `name` (default) or `-article_count`.
    #[param(value_type = Option<String>, pattern = "^(name|-article_count)$")]
    pub sort: Option<String>,
    /// `true`: only authors with at least one public article.
    #[param(value_type = Option<bool>)]
    pub hide_empty: Option<String>,
}

/// List authors with their counts of public articles.
#[utoipa::path(
    tag = "authors",
    params(AuthorListParams),
    responses(
        (status = 200, description = "A page of authors", body = AuthorListing),
        (status = 400, response = super::responses::BadRequest),
        (status = 503, response = super::responses::Unavailable),
    )
)]
#[get("/authors")]
pub async fn list_authors(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<AuthorListParams>,
) -> Result<HttpResponse, ApiError> {
    let page = listing::integer("page", params.page.as_deref(), 1, 10_000_000, 1)?;
    let per_page = listing::integer("per_page", params.per_page.as_deref(), 1, 1000, 100)?;
    let sort = listing::one_of(
        "sort",
        params.sort.as_deref(),
        &[
            ("name", AuthorSort::Name),
            ("-article_count", AuthorSort::ArticleCountDesc),
        ],
        AuthorSort::Name,
    )?;
    let hide_empty = listing::boolean("hide_empty", params.hide_empty.as_deref())?.unwrap_or(false);
    let counted = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::list(conn, page, per_page, sort, hide_empty)?)
    })
    .await?;
    let (pagination, links) = listing::page_links(&req, page, per_page, counted.total);
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    Ok(res.json(AuthorListing {
        data: counted.rows.into_iter().map(AuthorView::from).collect(),
        meta: Meta { pagination },
        links,
    }))
}

fn not_found(slug: &str) -> ApiError {
    ApiError::NotFound(format!("no author has the slug `{slug}`"))
}

fn path_slug(slug: &str) -> Result<String, ApiError> {
    Slug::parse(slug)
        .map(Slug::into_string)
        .map_err(|_| not_found(slug))
}

/// One author.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug", example = "ada")),
    responses(
        (status = 200, description = "The author", body = AuthorView),
        (status = 404, response = super::responses::NotFound),
        (status = 503, response = super::responses::Unavailable),
    )
)]
#[get("/authors/{slug}")]
pub async fn get_author(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug(&slug)?;
    let lookup = slug.clone();
    let author = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::get(conn, &lookup)?)
    })
    .await?
    .ok_or_else(|| not_found(&slug))?;
    Ok(HttpResponse::Ok().json(AuthorView::from(author)))
}

/// The fields of an author write.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ada Lovelace", "bio": "Writes about engines.",
    "avatar_url": "https://example.com/ada.png", "website": "https://example.com"}))]
pub struct AuthorInput {
    /// 1 to 200 characters.
    #[serde(default)]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Derived from the name when absent; on `PUT` it must equal the slug in the path.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 5000 characters.
    #[validate(length(max = 5000, message = "must be at most 5000 characters"))]
    #[schema(max_length = 5000)]
    pub bio: Option<String>,
    /// An http(s) URL, at most 2000 characters.
    #[validate(
        url(message = "must be an http(s) URL"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(max_length = 2000)]
    pub avatar_url: Option<String>,
    /// An http(s) URL, at most 2000 characters.
    #[validate(
        url(message = "must be an http(s) URL"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(max_length = 2000)]
    pub website: Option<String>,
}

const FIELDS: [&str; 5] = ["name", "slug", "bio", "avatar_url", "website"];

fn to_write(mut input: AuthorInput, path: Option<&str>) -> Result<AuthorWrite, ApiError> {
    // Names are stored trimmed, so they are validated trimmed: a blank name is a 422, not a CHECK violation.
    input.name = input.name.trim().to_owned();
    let mut errors = body::validation_errors(&input);
    let slug = match (&input.slug, path) {
        (Some(s), Some(p)) if s != p => {
            errors.push(super::problem::FieldError::new(
                "slug",
                "mismatch",
                "must equal the slug in the URL",
            ));
            None
        }
        (Some(s), _) => match Slug::parse(s) {
            Ok(s) => Some(s.into_string()),
            Err(e) => {
                errors.push(super::problem::FieldError::new(
                    "slug",
                    "format",
                    e.to_string(),
                ));
                None
            }
        },
        (None, Some(p)) => Some(p.to_owned()),
        (None, None) => Slug::derive(&input.name).map(Slug::into_string),
    };
    if slug.is_none() && errors.is_empty() {
        errors.push(super::problem::FieldError::new(
            "name",
            "format",
            "has no letters or digits to derive a slug from; give a `slug`",
        ));
    }
    match slug {
        Some(slug) if errors.is_empty() => Ok(AuthorWrite {
            slug,
            name: input.name.trim().to_owned(),
            bio: input.bio,
            avatar_url: input.avatar_url,
            website: input.website,
        }),
        _ => Err(ApiError::validation(errors)),
    }
}

async fn read_input(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    kinds: &[BodyKind],
) -> Result<Map<String, Value>, ApiError> {
    body::kind(req, kinds)?;
    body::json_object(&body::read(req, payload, state.max_body_bytes()).await?)
}

fn author_error(e: AuthorError, slug: &str) -> ApiError {
    match e {
        AuthorError::NotFound => not_found(slug),
        AuthorError::SlugTaken(s) => {
            ApiError::Conflict(format!("an author with the slug `{s}` already exists"))
        }
        AuthorError::HasArticles => ApiError::Conflict(format!(
            "the author `{slug}` still has articles; remove them from the articles first"
        )),
        AuthorError::Db(e) => ApiError::from(e),
    }
}

fn written(status: StatusCode, author: store::AuthorRecord) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    ));
    if status == StatusCode::CREATED {
        res.insert_header((
            header::LOCATION,
            format!("{}/authors/{}", super::API_PREFIX, author.slug),
        ));
    }
    res.json(AuthorView::from(author))
}

/// Create an author; its slug (given or derived from the name) must be free.
#[utoipa::path(
    tag = "authors",
    request_body = AuthorInput,
    responses(
        (status = 201, description = "Created", body = AuthorView, headers(("Location" = String))),
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
#[post("/authors")]
pub async fn create_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let map = read_input(&req, payload, &state, &[BodyKind::Json]).await?;
    let write = to_write(body::fields(map, &FIELDS, &["name"])?, None)?;
    let slug = write.slug.clone();
    let author = db::run(&state.pool, move |conn| {
        store::create(conn, &write).map_err(|e| author_error(e, &slug))
    })
    .await?;
    Ok(written(StatusCode::CREATED, author))
}

/// Create or replace the author at this slug; identical content changes nothing.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug")),
    request_body = AuthorInput,
    responses(
        (status = 200, description = "Replaced, or unchanged", body = AuthorView),
        (status = 201, description = "Created", body = AuthorView, headers(("Location" = String))),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 413, response = super::responses::PayloadTooLarge),
        (status = 415, response = super::responses::UnsupportedMediaType),
        (status = 422, response = super::responses::Validation),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[put("/authors/{slug}")]
pub async fn put_author(
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
    let map = read_input(&req, payload, &state, &[BodyKind::Json]).await?;
    let write = to_write(body::fields(map, &FIELDS, &["name"])?, Some(&slug))?;
    let outcome = db::run(&state.pool, move |conn| {
        store::put(conn, &write).map_err(|e| author_error(e, &slug))
    })
    .await?;
    Ok(match outcome {
        AuthorOutcome::Created(t) => written(StatusCode::CREATED, t),
        AuthorOutcome::Updated(t) | AuthorOutcome::Unchanged(t) => written(StatusCode::OK, t),
    })
}

/// Change some fields (JSON merge patch); may rename the author.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's current slug")),
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"bio": "New words."})),
        (Object = "application/json", example = json!({"website": null})),
    )),
    responses(
        (status = 200, description = "The author after the patch", body = AuthorView),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
        (status = 413, response = super::responses::PayloadTooLarge),
        (status = 415, response = super::responses::UnsupportedMediaType),
        (status = 422, response = super::responses::Validation),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[patch("/authors/{slug}")]
pub async fn patch_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let slug = path_slug(&slug)?;
    let patch = Value::Object(
        read_input(
            &req,
            payload,
            &state,
            &[BodyKind::MergePatch, BodyKind::Json],
        )
        .await?,
    );
    let lookup = slug.clone();
    let current = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::get(conn, &lookup)?)
    })
    .await?
    .ok_or_else(|| not_found(&slug))?;
    let mut merged = serde_json::json!({"name": current.name, "slug": current.slug, "bio": current.bio,
        "avatar_url": current.avatar_url, "website": current.website});
    json_patch::merge(&mut merged, &patch);
    let Value::Object(map) = merged else {
        return Err(ApiError::BadRequest(
            "the patch must be a JSON object".to_owned(),
        ));
    };
    let write = to_write(body::fields(map, &FIELDS, &["name"])?, None)?;
    let author = db::run(&state.pool, move |conn| {
        store::update(conn, &slug, &write).map_err(|e| author_error(e, &slug))
    })
    .await?;
    Ok(match author {
        AuthorOutcome::Created(t) | AuthorOutcome::Updated(t) | AuthorOutcome::Unchanged(t) => {
            written(StatusCode::OK, t)
        }
    })
}

/// Delete an author; articles lose it.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 409, response = super::responses::Conflict),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[delete("/authors/{slug}")]
pub async fn delete_author(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let slug = path_slug(&slug)?;
    db::run(&state.pool, move |conn| {
        store::delete(conn, &slug).map_err(|e| author_error(e, &slug))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
