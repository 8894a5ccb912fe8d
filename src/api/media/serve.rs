//! `GET /media/{hash}/{file}`: an uploaded file or variant, public and immutable, with ETags and byte ranges,
//! streamed from the media store.

use actix_web::http::header;
use actix_web::web::Path;
use actix_web::{get, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::api::problem::ApiError;
use crate::api::responses::NotFound;
use crate::api::views::FileBytes;
use crate::api::{Answer, Ctx};
use crate::domain::media::{self, Kind};
use crate::storage::StorageError;

/// A year: served files never change (their URLs hold the hash of what was uploaded).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For SVG and PDF: no script, no plugin, no same-origin rights, even when opened on their own.
pub const SANDBOX: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox";

/// A byte range of a file of `size` bytes, as `Range: bytes=…` asks for one: `None` for the whole file (no
/// header, several ranges, or a header that does not parse), `Err` when no byte of it exists.
fn byte_range(req: &HttpRequest, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(value) = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let Ok(header::Range::Bytes(specs)) = value.parse::<header::Range>() else {
        return Ok(None);
    };
    if specs.len() != 1 {
        return Ok(None);
    }
    match specs[0].to_satisfiable_range(size) {
        Some((start, end)) => Ok(Some(start..end + 1)),
        None => Err(()),
    }
}

/// Serve an uploaded file or one of its variants.
///
/// Immutable (the URL holds the hash of what was uploaded), with an ETag, byte ranges (one range per request;
/// several are answered with the whole file), the sniffed type and `nosniff`. SVG and PDF are sandboxed and
/// offered as downloads (`Content-Disposition: attachment`); an `<img>` still shows an SVG.
#[utoipa::path(
    tag = "media",
    params(
        ("hash" = String, Path, description = "The hex SHA-256 of the uploaded bytes",
         example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ("file" = String, Path, description = "`original.{ext}` or a variant, `{width}w.{ext}`",
         example = "960w.webp"),
        ("Range" = Option<String>, Header, description = "One byte range", example = "bytes=0-1023"),
    ),
    responses(
        (status = 200, description = "The file",
         content(
             (FileBytes = "image/jpeg"), (FileBytes = "image/png"), (FileBytes = "image/gif"),
             (FileBytes = "image/webp"), (FileBytes = "image/svg+xml"), (FileBytes = "application/pdf"),
         ),
         headers(("ETag" = String), ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`"),
                 ("Accept-Ranges" = String, description = "`bytes`"),
                 ("X-Content-Type-Options" = String, description = "`nosniff`"),
                 ("Content-Security-Policy" = String,
                  description = "SVG and PDF only: `default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox`"),
                 ("Content-Disposition" = String, description = "SVG and PDF only: `attachment; filename=\"….svg\"`"))),
        (status = 206, description = "The requested byte range, in the file's type",
         content(
             (FileBytes = "image/jpeg"), (FileBytes = "image/png"), (FileBytes = "image/gif"),
             (FileBytes = "image/webp"), (FileBytes = "image/svg+xml"), (FileBytes = "application/pdf"),
         ),
         headers(("Content-Range" = String, description = "`bytes 0-1023/182734`"), ("ETag" = String))),
        (status = 304, description = "The file matches `If-None-Match`", headers(("ETag" = String))),
        (status = 404, response = NotFound),
        (status = 416, description = "The range starts past the end of the file",
         body = crate::api::problem::Problem, content_type = "application/problem+json",
         headers(("Content-Range" = String, description = "`bytes */182734`"))),
        (status = 429, response = crate::api::responses::RateLimited),
        (status = 503, response = crate::api::responses::Unavailable),
    )
)]
#[get("/media/{hash}/{file}")]
pub async fn serve_media(Ctx { req, state }: Ctx, path: Path<(String, String)>) -> Answer {
    let (hash, file) = path.into_inner();
    let not_found =
        || ApiError::NotFound(format!("no media file is served at `/media/{hash}/{file}`"));
    let kind = match (media::is_hash(&hash), media::is_file_name(&file)) {
        (true, true) => file
            .rsplit('.')
            .next()
            .and_then(Kind::from_extension)
            .ok_or_else(not_found)?,
        _ => return Err(not_found()),
    };
    let etag = format!("\"{hash}-{file}\"");
    let mut res = HttpResponse::Ok();
    res.insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((header::CONTENT_TYPE, kind.content_type()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        // Already compressed (or a range of bytes): never re-encoded on the way out.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .insert_header(("cross-origin-resource-policy", "cross-origin"));
    if kind.is_active() {
        res.insert_header((header::CONTENT_SECURITY_POLICY, SANDBOX))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}.{}\"",
                    &hash[..12],
                    kind.extension()
                ),
            ));
    }
    res.extensions_mut()
        .insert(crate::api::middleware::Immutable);
    if crate::api::middleware::none_match(req.headers(), &etag) {
        return Ok(res
            .status(actix_web::http::StatusCode::NOT_MODIFIED)
            .finish());
    }
    let if_range_ok = req
        .headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v == etag);
    let ranged = req.headers().contains_key(header::RANGE) && if_range_ok;
    let range = if ranged {
        let size = state.media.size(&hash, &file).await.map_err(|e| match e {
            StorageError::NotFound => not_found(),
            other => other.into(),
        })?;
        match byte_range(&req, size) {
            Ok(range) => range,
            Err(()) => {
                return Ok(HttpResponse::RangeNotSatisfiable()
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                    .insert_header((header::CONTENT_TYPE, crate::api::problem::PROBLEM_JSON))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .body(
                        serde_json::to_vec(&crate::api::problem::Problem {
                            kind: "/problems/range-not-satisfiable",
                            title: "Range not satisfiable",
                            status: 416,
                            detail: format!("the file has {size} bytes"),
                            errors: None,
                        })
                        .unwrap_or_default(),
                    ))
            }
        }
    } else {
        None
    };
    let partial = range.is_some();
    let fetched = state
        .media
        .get(&hash, &file, range)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => not_found(),
            other => other.into(),
        })?;
    if partial {
        res.status(actix_web::http::StatusCode::PARTIAL_CONTENT)
            .insert_header((
                header::CONTENT_RANGE,
                format!(
                    "bytes {}-{}/{}",
                    fetched.range.start,
                    fetched.range.end.saturating_sub(1),
                    fetched.size
                ),
            ));
    }
    let length = fetched.range.end - fetched.range.start;
    let body = fetched
        .body
        .map(|chunk| chunk.map_err(|e| std::io::Error::other(e.to_string())));
    Ok(res.no_chunking(length).streaming(body))
}
