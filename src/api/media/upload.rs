//! What an upload sent (a raw body or a multipart form, with its options), the checks of its options, and what
//! it becomes once prepared: the files to store and the row.

use actix_web::http::header;
use actix_web::web::Payload;
use actix_web::HttpRequest;
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::body;
use crate::api::problem::{ApiError, FieldError};
use crate::domain::media::{self, Refusal};
use crate::state::AppState;
use crate::store::media::{NewMedia, StoredVariant};

const MAX_FILENAME_CHARS: usize = 255;

/// Options of an upload (a multipart upload's `alt` field and file name win over these).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The image's alternative text, at most 1000 characters.
    #[param(max_length = 1000)]
    pub alt: Option<String>,
    /// The file's name as the uploader knows it, at most 255 characters (informative: the type comes from the
    /// bytes).
    #[param(max_length = 255)]
    pub filename: Option<String>,
}

/// A multipart upload's form (`multipart/form-data`): no other part is accepted.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Alternative text, at most 1000 characters.
    alt: Option<String>,
}

/// What an upload sent: its bytes and the optional fields.
pub(super) struct Upload {
    pub bytes: Vec<u8>,
    pub alt: Option<String>,
    pub filename: Option<String>,
}

fn too_large(limit: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the file is larger than {limit} bytes, the upload limit (FOLIO_MEDIA_MAX_BYTES)"
    ))
}

/// The upload's bytes and options, from a raw body or a multipart form (whose parts are capped before they are
/// read).
pub(super) async fn read(
    req: &HttpRequest,
    state: &AppState,
    payload: Payload,
    params: UploadParams,
) -> Result<Upload, ApiError> {
    let limit = state.config.media_max_bytes;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !multipart {
        let bytes = body::read(req, payload, usize::try_from(limit).unwrap_or(usize::MAX))
            .await
            .map_err(|e| match e {
                ApiError::PayloadTooLarge(_) => too_large(limit),
                other => other,
            })?;
        return Ok(Upload {
            bytes: bytes.to_vec(),
            alt: params.alt,
            filename: params.filename,
        });
    }
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut upload = Upload {
        bytes: Vec::new(),
        alt: None,
        filename: None,
    };
    let mut seen_file = false;
    let bad = |e: actix_multipart::MultipartError| {
        ApiError::BadRequest(format!("the multipart body is malformed: {e}"))
    };
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        let name = field.name().unwrap_or_default().to_owned();
        // What a part may hold, known before it is read: the file up to the upload limit, the alt text up to
        // 4 bytes a character.
        let cap =
            match name.as_str() {
                "file" if !seen_file => limit,
                "alt" if upload.alt.is_none() => media::MAX_ALT_CHARS as u64 * 4,
                other => return Err(ApiError::field(
                    other,
                    "unknown",
                    "is not a field of an upload (send `file` and, optionally, `alt`, once each)",
                )),
            };
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            if (value.len() + chunk.len()) as u64 > cap {
                return Err(match name.as_str() {
                    "file" => too_large(limit),
                    _ => ApiError::field("alt", "length", media::ALT_RULE),
                });
            }
            value.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" if !seen_file => {
                seen_file = true;
                upload.filename = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(str::to_owned);
                upload.bytes = value;
            }
            "alt" if upload.alt.is_none() => {
                upload.alt = Some(
                    String::from_utf8(value)
                        .map_err(|_| ApiError::field("alt", "format", "must be UTF-8 text"))?,
                );
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown",
                    "is not a field of an upload (send `file` and, optionally, `alt`, once each)",
                ))
            }
        }
    }
    if !seen_file {
        return Err(ApiError::field("file", "required", "is required"));
    }
    // The query's options stand in for what the form leaves out.
    upload.alt = upload.alt.or(params.alt);
    upload.filename = upload.filename.or(params.filename);
    Ok(upload)
}

/// Checks an upload's options and, when given, that its file is not empty; lists every invalid one.
pub(super) fn check(
    alt: Option<&str>,
    filename: Option<&str>,
    bytes: Option<&[u8]>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if alt.is_some_and(|alt| !media::valid_alt(alt)) {
        errors.push(FieldError::new("alt", "length", media::ALT_RULE));
    }
    if filename.is_some_and(|name| name.chars().count() > MAX_FILENAME_CHARS || name.contains('\0'))
    {
        errors.push(FieldError::new(
            "filename",
            "length",
            "must be at most 255 characters, without NUL",
        ));
    }
    if bytes.is_some_and(<[u8]>::is_empty) {
        errors.push(FieldError::new("file", "required", "is empty"));
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(ApiError::validation(errors)),
    }
}

pub(super) fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Kind { .. } => ApiError::UnsupportedMediaType(refusal.to_string()),
        other => ApiError::field("file", other.code(), other.to_string()),
    }
}

/// What an upload becomes once checked: the files to store and the row.
pub(super) struct Processed {
    pub files: Vec<(String, Vec<u8>)>,
    pub row: NewMedia,
}

pub(super) fn process(
    upload: Upload,
    hash: String,
    limits: &media::Limits,
) -> Result<Processed, Refusal> {
    let (kind, prepared) = media::prepare(upload.bytes, limits)?;
    let dimension = |n: u32| {
        kind.is_raster()
            .then(|| i32::try_from(n).unwrap_or(i32::MAX))
    };
    let stored: Vec<StoredVariant> = prepared
        .variants
        .iter()
        .map(|v| StoredVariant {
            file: v.file.clone(),
            content_type: v.kind.content_type().to_owned(),
            width: v.width,
            height: v.height,
            bytes: v.bytes.len() as u64,
        })
        .collect();
    let original = &prepared.original;
    let row = NewMedia {
        hash,
        content_type: kind.content_type().to_owned(),
        file: original.file.clone(),
        bytes: original.bytes.len() as i64,
        width: dimension(original.width),
        height: dimension(original.height),
        alt: upload.alt,
        filename: upload.filename,
        variants: serde_json::to_value(stored).unwrap_or_default(),
    };
    let files = std::iter::once(prepared.original)
        .chain(prepared.variants)
        .map(|v| (v.file, v.bytes))
        .collect();
    Ok(Processed { files, row })
}
