//! Uploaded files: `/api/v1/media` (upload, list, read, alt text, delete) here, and `/media/{hash}/{file}`, where
//! they are served (`serve.rs`). The rules (kinds, polyglots, limits, variants) are `domain::media`; the bytes
//! live in `storage::MediaStore`; the rows and who mentions a file in `store::media`.

mod serve;
mod upload;

pub use serve::*;
pub use upload::{UploadForm, UploadParams};

use actix_web::http::header;
use actix_web::web::{Path, Payload, Query};
use actix_web::{delete, get, patch, post, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::{Caller, Writer};
use super::body::{self, BodyKind};
use super::problem::ApiError;
use super::responses::{Authorized, BadRequest, Conflict, NotFound, ScopedRead, Write};
use super::views::{FileBytes, MediaListing, MediaView};
use super::{listing, no_store, Answer, Ctx};
use crate::domain::media;
use crate::domain::scope::Scope;
use crate::state::AppState;
use crate::storage::StorageError;
use crate::store::media::{self as store, MediaRecord};

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::NotFound("no such file".to_owned()),
            other => {
                log::error!("media store: {other}");
                ApiError::Unavailable("the media store did not answer; try again".to_owned())
            }
        }
    }
}

fn base(req: &HttpRequest, state: &AppState) -> String {
    listing::public_url(req, state, "")
}

fn missing(id: &str) -> ApiError {
    ApiError::NotFound(format!("no media file has the id `{id}`"))
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| missing(id))
}

fn answer(created: bool, view: MediaView) -> HttpResponse {
    let mut res = match created {
        true => HttpResponse::Created(),
        false => HttpResponse::Ok(),
    };
    res.insert_header(no_store())
        .insert_header((
            header::LOCATION,
            format!("{}/media/{}", super::API_PREFIX, view.id),
        ))
        .json(view)
}

/// Upload a file.
///
/// The body is the file itself (any `Content-Type`: the type is sniffed from the bytes), or
/// `multipart/form-data` with a `file` part and an optional `alt` field. Accepted: JPEG, PNG, GIF, WebP, SVG and
/// PDF. Raster images are checked against the dimension limits from their header before decoding, then stored
/// without metadata (EXIF, GPS, XMP, comments), upright, with responsive variants. The same bytes uploaded
/// again answer the existing file with 200 (its alt text unchanged): reruns change nothing.
#[utoipa::path(
    tag = "media",
    params(UploadParams),
    request_body(content(
        (UploadForm = "multipart/form-data"),
        (FileBytes = "application/octet-stream"),
        (FileBytes = "image/png"),
        (FileBytes = "image/jpeg"),
    )),
    responses(
        (status = 201, description = "Stored", body = MediaView, headers(("Location" = String))),
        (status = 200, description = "These bytes were uploaded before: the existing file", body = MediaView,
         headers(("Location" = String))),
        Write,
    ),
    security(("token" = []))
)]
#[post("/media")]
pub async fn upload_media(
    Ctx { req, state }: Ctx,
    _: Writer,
    params: Query<UploadParams>,
    payload: Payload,
) -> Answer {
    let params = params.into_inner();
    // The query's options are checked even when a form's fields win over them.
    upload::check(params.alt.as_deref(), params.filename.as_deref(), None)?;
    let upload = upload::read(&req, &state, payload, params).await?;
    upload::check(
        upload.alt.as_deref(),
        upload.filename.as_deref(),
        Some(&upload.bytes),
    )?;
    let hash = media::hash(&upload.bytes);
    let lookup = hash.clone();
    if let Some(existing) = super::run(&state, move |conn| store::by_hash(conn, &lookup)).await? {
        // A delete racing an upload of the same bytes can leave the row without its files: the same bytes
        // uploaded again store them again.
        if state.media.exists(&existing.hash, &existing.file).await? {
            return Ok(answer(false, MediaView::new(existing, &base(&req, &state))));
        }
        log::warn!(
            "media {}: the row is there, its files are not: storing them again",
            existing.hash
        );
    }
    let limits = state.config.media_limits();
    let permit = state
        .media_processing
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let processed = super::blocking(move || upload::process(upload, hash, &limits))
        .await?
        .map_err(upload::refused)?;
    drop(permit);
    // Files before the row: a row never names a file that is not stored.
    for (file, bytes) in processed.files {
        state.media.put(&processed.row.hash, &file, bytes).await?;
    }
    let row = processed.row;
    let (record, created) = super::run(&state, move |conn| store::insert(conn, &row)).await?;
    Ok(answer(created, MediaView::new(record, &base(&req, &state))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaListParams {
    /// Page number, from 1 (default 1).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000000, example = 1)]
    pub page: Option<String>,
    /// Files per page, 1 to 100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
    pub per_page: Option<String>,
    /// Only the file with this content hash (hex SHA-256 of the uploaded bytes): lets a publisher skip uploading
    /// what is already stored.
    #[param(
        pattern = "^[0-9a-f]{64}$",
        example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )]
    pub hash: Option<String>,
}

/// Uploaded files, newest first (`content:read`).
///
/// With `hash`, the one file uploaded with those bytes, if any: a publisher computes the SHA-256 of a file and
/// uploads it only when this answers nothing.
#[utoipa::path(
    tag = "media",
    params(MediaListParams),
    responses(
        (status = 200, description = "A page of files, newest first", body = MediaListing),
        (status = 400, response = BadRequest),
        ScopedRead,
    ),
    security(("token" = []))
)]
#[get("/media")]
pub async fn list_media(
    Ctx { req, state }: Ctx,
    caller: Caller,
    params: Query<MediaListParams>,
) -> Answer {
    caller.require(Scope::ContentRead)?;
    let page = listing::integer("page", params.page.as_deref(), 1, 10_000_000, 1)?;
    let per_page = listing::integer("per_page", params.per_page.as_deref(), 1, 100, 20)?;
    let hash = params.hash.clone();
    if hash.as_deref().is_some_and(|h| !media::is_hash(h)) {
        return Err(ApiError::BadRequest(
            "`hash` must be 64 lowercase hex digits (a SHA-256)".to_owned(),
        ));
    }
    let counted = super::run(&state, move |conn| {
        store::list(conn, hash.as_deref(), page, per_page)
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
    let base = base(&req, &state);
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    Ok(res.json(MediaListing {
        data: counted
            .rows
            .into_iter()
            .map(|r| MediaView::new(r, &base))
            .collect(),
        meta: super::views::Meta { pagination },
        links,
    }))
}

/// One uploaded file (`content:read`).
#[utoipa::path(
    tag = "media",
    params(("id" = uuid::Uuid, Path, description = "The file's id")),
    responses(
        (status = 200, description = "The file", body = MediaView),
        (status = 404, response = NotFound),
        ScopedRead,
    ),
    security(("token" = []))
)]
#[get("/media/{id}")]
pub async fn get_media(Ctx { req, state }: Ctx, caller: Caller, id: Path<String>) -> Answer {
    caller.require(Scope::ContentRead)?;
    let uuid = parse_id(&id)?;
    let record = super::run(&state, move |conn| store::get(conn, uuid))
        .await?
        .ok_or_else(|| missing(&id))?;
    Ok(HttpResponse::Ok().json(MediaView::new(record, &base(&req, &state))))
}

/// The one field of a file that can change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"alt": "Sequence diagram of the saga"}))]
pub struct MediaPatch {
    /// At most 1000 characters; null clears it.
    #[schema(max_length = 1000, pattern = r"^[^\u0000]*$")]
    pub alt: Option<String>,
}

/// Set or clear a file's alt text.
///
/// A JSON (or merge-patch) object with `alt`. Articles already written keep the alt text they were written
/// with: alt text lives in their Markdown.
#[utoipa::path(
    tag = "media",
    params(("id" = uuid::Uuid, Path, description = "The file's id")),
    request_body(content(
        (MediaPatch = "application/json"),
        (MediaPatch = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "Updated", body = MediaView),
        (status = 404, response = NotFound),
        Write,
    ),
    security(("token" = []))
)]
#[patch("/media/{id}")]
pub async fn patch_media(
    Ctx { req, state }: Ctx,
    _: Writer,
    id: Path<String>,
    payload: Payload,
) -> Answer {
    let uuid = parse_id(&id)?;
    body::kind(&req, &[BodyKind::Json, BodyKind::MergePatch])?;
    let map = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    // A merge patch without `alt` changes nothing; `"alt": null` clears it.
    let given = map.contains_key("alt");
    let input: MediaPatch = body::fields(map, &["alt"], &[])?;
    if input
        .alt
        .as_deref()
        .is_some_and(|alt| !media::valid_alt(alt))
    {
        return Err(ApiError::field("alt", "length", media::ALT_RULE));
    }
    let record = super::run(&state, move |conn| match given {
        true => store::set_alt(conn, uuid, input.alt.as_deref()),
        false => store::get(conn, uuid)?.ok_or(crate::store::Error::NotFound),
    })
    .await
    .map_err(|e| match e {
        ApiError::NotFound(_) => missing(&id),
        other => other,
    })?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(MediaView::new(record, &base(&req, &state))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Delete even while articles or pages mention the file (their images then break).
    #[param(value_type = Option<bool>, example = false)]
    pub force: Option<String>,
}

/// Delete a file and its variants.
///
/// Refused with 409 while an article or page mentions it (its Markdown or cover image holds the file's URL),
/// naming them, unless `force=true`. Caches that kept the file (it is served as immutable) may go on serving it
/// until they are purged.
#[utoipa::path(
    tag = "media",
    params(("id" = uuid::Uuid, Path, description = "The file's id"), DeleteParams),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        Authorized,
    ),
    security(("token" = []))
)]
#[delete("/media/{id}")]
pub async fn delete_media(
    Ctx { state, .. }: Ctx,
    _: Writer,
    id: Path<String>,
    params: Query<DeleteParams>,
) -> Answer {
    let force = listing::boolean("force", params.force.as_deref())?.unwrap_or(false);
    let uuid = parse_id(&id)?;
    let deleted = super::run(&state, move |conn| store::delete(conn, uuid, force))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => missing(&id),
            other => other,
        })?;
    let record: MediaRecord = match deleted {
        Ok(record) => record,
        Err(uses) => {
            let mut names: Vec<String> = uses
                .articles
                .iter()
                .map(|s| format!("article `{s}`"))
                .collect();
            names.extend(uses.pages.iter().map(|s| format!("page `{s}`")));
            return Err(ApiError::Conflict(format!(
                "the file is used by {}; remove it from them first, or delete with `force=true`",
                names.join(", ")
            )));
        }
    };
    // The row is gone; files left behind by a failure stay served until removed by hand (logged).
    if let Err(e) = state.media.delete(&record.hash, &record.files()).await {
        log::warn!("media {} deleted, its files not: {e}", record.hash);
    }
    Ok(HttpResponse::NoContent().finish())
}
