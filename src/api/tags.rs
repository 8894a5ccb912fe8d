//! `/api/v1/tags`: public listing and detail with counts of public articles; writes with `content:write`.

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
use super::views::{Meta, TagListing, TagView};
use crate::db;
use crate::domain::scope::Scope;
use crate::domain::slug::Slug;
use crate::startup::AppState;
use crate::store::tags::{self as store, TagError, TagOutcome, TagSort, TagWrite};

/// Query parameters of the tag listing.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TagListParams {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000000)]
    pub page: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub per_page: Option<String>,
    /// `name` (default) or `-article_count`.
    #[param(value_type = Option<String>, pattern = "^(name|-article_count)$")]
    pub sort: Option<String>,
    /// `true`: only tags with at least one public article.
    #[param(value_type = Option<bool>)]
    pub hide_empty: Option<String>,
}

/// List tags with their counts of public articles.
#[utoipa::path(
    tag = "tags",
    params(TagListParams),
    responses(
        (status = 200, description = "A page of tags", body = TagListing),
        (status = 400, response = super::responses::BadRequest),
        (status = 503, response = super::responses::Unavailable),
    )
)]
#[get("/tags")]
pub async fn list_tags(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<TagListParams>,
) -> Result<HttpResponse, ApiError> {
    let page = listing::integer("page", params.page.as_deref(), 1, 10_000_000, 1)?;
    let per_page = listing::integer("per_page", params.per_page.as_deref(), 1, 1000, 100)?;
    let sort = listing::one_of(
        "sort",
        params.sort.as_deref(),
        &[
            ("name", TagSort::Name),
            ("-article_count", TagSort::ArticleCountDesc),
        ],
        TagSort::Name,
    )?;
    let hide_empty = listing::boolean("hide_empty", params.hide_empty.as_deref())?.unwrap_or(false);
    let counted = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::list(conn, page, per_page, sort, hide_empty)?)
    })
    .await?;
    let (pagination, links) = listing::page_links(&req, page, per_page, counted.total);
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    Ok(res.json(TagListing {
        data: counted.rows.into_iter().map(TagView::from).collect(),
        meta: Meta { pagination },
        links,
    }))
}

fn not_found(slug: &str) -> ApiError {
    ApiError::NotFound(format!("no tag has the slug `{slug}`"))
}

fn path_slug(slug: &str) -> Result<String, ApiError> {
    Slug::parse(slug)
        .map(Slug::into_string)
        .map_err(|_| not_found(slug))
}

/// One tag.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug", example = "system-design")),
    responses(
        (status = 200, description = "The tag", body = TagView),
        (status = 404, response = super::responses::NotFound),
        (status = 503, response = super::responses::Unavailable),
    )
)]
#[get("/tags/{slug}")]
pub async fn get_tag(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug(&slug)?;
    let lookup = slug.clone();
    let tag = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::get(conn, &lookup)?)
    })
    .await?
    .ok_or_else(|| not_found(&slug))?;
    Ok(HttpResponse::Ok().json(TagView::from(tag)))
}

/// The fields of a tag write.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "System Design", "description": "Designing systems that last."}))]
pub struct TagInput {
    /// 1 to 100 characters.
    #[serde(default)]
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Derived from the name when absent; on `PUT` it must equal the slug in the path.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 1000 characters.
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

const FIELDS: [&str; 3] = ["name", "slug", "description"];

fn to_write(mut input: TagInput, path: Option<&str>) -> Result<TagWrite, ApiError> {
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
        Some(slug) if errors.is_empty() => Ok(TagWrite {
            slug,
            name: input.name.trim().to_owned(),
            description: input.description,
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

fn tag_error(e: TagError, slug: &str) -> ApiError {
    match e {
        TagError::NotFound => not_found(slug),
        TagError::SlugTaken(s) => {
            ApiError::Conflict(format!("a tag with the slug `{s}` already exists"))
        }
        TagError::Db(e) => ApiError::from(e),
    }
}

fn written(status: StatusCode, tag: store::TagRecord) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    ));
    if status == StatusCode::CREATED {
        res.insert_header((
            header::LOCATION,
            format!("{}/tags/{}", super::API_PREFIX, tag.slug),
        ));
    }
    res.json(TagView::from(tag))
}

/// Create a tag; its slug (given or derived from the name) must be free.
#[utoipa::path(
    tag = "tags",
    request_body = TagInput,
    responses(
        (status = 201, description = "Created", body = TagView, headers(("Location" = String))),
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
#[post("/tags")]
pub async fn create_tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let map = read_input(&req, payload, &state, &[BodyKind::Json]).await?;
    let write = to_write(body::fields(map, &FIELDS, &["name"])?, None)?;
    let slug = write.slug.clone();
    let tag = db::run(&state.pool, move |conn| {
        store::create(conn, &write).map_err(|e| tag_error(e, &slug))
    })
    .await?;
    Ok(written(StatusCode::CREATED, tag))
}

/// Create or replace the tag at this slug; identical content changes nothing.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    request_body = TagInput,
    responses(
        (status = 200, description = "Replaced, or unchanged", body = TagView),
        (status = 201, description = "Created", body = TagView, headers(("Location" = String))),
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
#[put("/tags/{slug}")]
pub async fn put_tag(
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
        store::put(conn, &write).map_err(|e| tag_error(e, &slug))
    })
    .await?;
    Ok(match outcome {
        TagOutcome::Created(t) => written(StatusCode::CREATED, t),
        TagOutcome::Updated(t) | TagOutcome::Unchanged(t) => written(StatusCode::OK, t),
    })
}

/// Change some fields (JSON merge patch); may rename the tag.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's current slug")),
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"description": "New words."})),
        (Object = "application/json", example = json!({"name": "Systems"})),
    )),
    responses(
        (status = 200, description = "The tag after the patch", body = TagView),
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
#[patch("/tags/{slug}")]
pub async fn patch_tag(
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
    let mut merged = serde_json::json!({"name": current.name, "slug": current.slug, "description": current.description});
    json_patch::merge(&mut merged, &patch);
    let Value::Object(map) = merged else {
        return Err(ApiError::BadRequest(
            "the patch must be a JSON object".to_owned(),
        ));
    };
    let write = to_write(body::fields(map, &FIELDS, &["name"])?, None)?;
    let tag = db::run(&state.pool, move |conn| {
        store::update(conn, &slug, &write).map_err(|e| tag_error(e, &slug))
    })
    .await?;
    Ok(match tag {
        TagOutcome::Created(t) | TagOutcome::Updated(t) | TagOutcome::Unchanged(t) => {
            written(StatusCode::OK, t)
        }
    })
}

/// Delete a tag; articles lose it.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[delete("/tags/{slug}")]
pub async fn delete_tag(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::ContentWrite)?;
    let slug = path_slug(&slug)?;
    db::run(&state.pool, move |conn| {
        store::delete(conn, &slug).map_err(|e| tag_error(e, &slug))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
