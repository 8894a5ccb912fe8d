//! `PATCH`: a JSON merge patch (RFC 7396) over the article's write representation, applied in one store
//! transaction that locks the article, so a concurrent write is never lost or merged into.

use actix_web::http::StatusCode;
use actix_web::patch;
use actix_web::web::{Path, Payload};
use serde_json::{json, Map, Value};

use super::conditional::precondition;
use super::input::written;
use super::{path_slug, subject};
use crate::api::auth::Writer;
use crate::api::body::{self, BodyKind};
use crate::api::problem::{ApiError, TxError};
use crate::api::responses::{Conflict, NotFound, PreconditionFailed, Write};
use crate::api::views::ArticleView;
use crate::api::{run_about, Answer, Ctx};
use crate::domain::article::{ArticleInput, ArticleWrite};
use crate::store::articles::{self as store, ArticleRecord, Precondition};

/// The write representation of a stored article: what a merge patch applies to.
fn input_of(r: &ArticleRecord) -> Map<String, Value> {
    let h = &r.head;
    let mut map = Map::new();
    map.insert("title".into(), json!(h.title));
    map.insert("slug".into(), json!(h.slug));
    if !h.summary_derived {
        map.insert("summary".into(), json!(h.summary));
    }
    map.insert("body_markdown".into(), json!(r.body_markdown));
    map.insert("status".into(), json!(h.status));
    if let Some(at) = h.published_at {
        map.insert("published_at".into(), json!(at));
    }
    map.insert("featured".into(), json!(h.featured));
    let tags: Vec<&str> = r.tags.iter().map(|t| t.name.as_str()).collect();
    map.insert("tags".into(), json!(tags));
    let authors: Vec<&str> = r.authors.iter().map(|a| a.slug.as_str()).collect();
    map.insert("authors".into(), json!(authors));
    if let Some(cover) = &h.cover_image {
        map.insert("cover_image".into(), cover.clone());
    }
    map.insert("seo".into(), h.seo.clone());
    map
}

/// The current article with `patch` merged in, through every write rule.
fn merged(current: &ArticleRecord, patch: &Value) -> Result<ArticleWrite, ApiError> {
    merge_write::<ArticleInput>(input_of(current), patch, &ArticleInput::FIELDS)
}

/// A document's write representation (`current`) with `patch` merged in, read as `I` (whose fields are `fields`)
/// and through every write rule: what a `PATCH` of an article or a page writes.
pub(crate) fn merge_write<I>(
    current: Map<String, Value>,
    patch: &Value,
    fields: &[&str],
) -> Result<ArticleWrite, ApiError>
where
    I: serde::de::DeserializeOwned + Into<ArticleInput>,
{
    let mut value = Value::Object(current);
    json_patch::merge(&mut value, patch);
    let Value::Object(map) = value else {
        return Err(ApiError::BadRequest(
            "the patch must be a JSON object".to_owned(),
        ));
    };
    body::require_objects(&map, &ArticleInput::OBJECTS)?;
    let input: I = body::fields(map, fields, &ArticleInput::REQUIRED)?;
    ArticleWrite::parse(input.into(), None).map_err(ApiError::validation)
}

/// Change some fields (JSON merge patch, RFC 7396): a field set to `null` returns to its default. May rename the
/// article: its old slug then answers 301.
///
/// The patch applies to the article as it is when the write locks it, so a concurrent write is never merged
/// into or lost; `If-Match` makes the patch conditional on the version a client has seen.
#[utoipa::path(
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's current slug"),
        ("If-Match" = Option<String>, Header, description = "Apply only if the article's ETag is listed",
         pattern = r#"^(\*|"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}"(\s*,\s*"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}")*)$"#),
    ),
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"featured": true, "tags": ["Rust"]})),
        (Object = "application/json", example = json!({"slug": "a-new-slug"})),
    )),
    responses(
        (status = 200, description = "The article after the patch", body = ArticleView, headers(("ETag" = String))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        Write,
    ),
    security(("token" = []))
)]
#[patch("/articles/{slug}")]
pub async fn patch_article(cx: Ctx, _: Writer, slug: Path<String>, payload: Payload) -> Answer {
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
    body::known_fields(&patch, &ArticleInput::FIELDS)?;
    let patch = Value::Object(patch);
    let lookup = slug.clone();
    let outcome = run_about(&state, subject(&slug), move |conn| {
        store::update_with(conn, &lookup, &precondition, |current| {
            merged(current, &patch).map_err(TxError::Api)
        })
    })
    .await?;
    written(&state, StatusCode::OK, outcome.into_inner()).await
}
