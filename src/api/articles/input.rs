//! Write bodies: JSON, or Markdown with YAML front matter holding the same fields, read into an `ArticleInput`;
//! and the response every successful write answers.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::conditional::article_response;
use super::read::full_view;
use crate::api::body::{self, BodyKind};
use crate::api::problem::ApiError;
use crate::domain::article::{ArticleInput, ArticleWrite};
use crate::state::AppState;
use crate::store::articles::ArticleRecord;

/// Reads a write body (JSON or Markdown with front matter) into the input fields.
pub(super) async fn read_input(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<ArticleInput, ApiError> {
    read_document(req, payload, state, &ArticleInput::FIELDS).await
}

/// Reads a document's write body (an article's or a page's: JSON or Markdown with front matter) into `T`, whose
/// fields are `fields`.
pub(crate) async fn read_document<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    fields: &[&str],
) -> Result<T, ApiError> {
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
    body::require_objects(&map, &ArticleInput::OBJECTS)?;
    body::fields(map, fields, &ArticleInput::REQUIRED)
}

/// Applies the write rules off the HTTP workers (they render Markdown).
pub(crate) async fn parse(
    input: ArticleInput,
    path_slug: Option<String>,
) -> Result<ArticleWrite, ApiError> {
    crate::api::blocking(move || ArticleWrite::parse(input, path_slug.as_deref()))
        .await?
        .map_err(ApiError::validation)
}

/// The article after a write, never cached; a creation also answers its `Location`.
pub(super) async fn written(
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
            format!("{}/articles/{}", crate::api::API_PREFIX, view.slug),
        ));
    }
    Ok(article_response(res, &view))
}
