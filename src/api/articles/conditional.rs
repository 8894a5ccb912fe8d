//! Conditional requests on one article: its ETag (the id and version, plus a digest of its neighbours), the
//! `If-Match` / `If-None-Match: *` preconditions of writes, and the headers of an article response.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::api::problem::ApiError;
use crate::api::views::ArticleView;
use crate::store::articles::Precondition;

/// The ETag of an article as read: its id and version, and a digest of what it shows of other resources (its
/// `newer` / `older` links, its tags' and authors' names) and of its status (a scheduled article reads as
/// published at its time, with no new version), so that a 304 never hides a changed neighbour, a renamed tag or a
/// go-live. `If-Match` compares only the id and version: the article's own state.
pub fn etag(view: &ArticleView) -> String {
    let neighbours = serde_json::to_vec(&(
        &view.newer,
        &view.older,
        &view.tags,
        &view.authors,
        &view.status,
    ))
    .unwrap_or_default();
    document_etag(view.id, view.version, &neighbours)
}

/// A document's ETag (an article's or a page's): its id and version, and a digest of what it shows of others.
pub(crate) fn document_etag(id: uuid::Uuid, version: i64, others: &[u8]) -> String {
    format!(
        "\"{}-{}-{:08x}\"",
        &id.simple().to_string()[..8],
        version,
        twox_hash::XxHash3_64::oneshot(others) as u32
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

/// `*`, or an article ETag as `etag` writes it: `"` 8 hex digits `-` version `-` 8 hex digits `"`.
fn etag_shaped(tag: &str) -> bool {
    let Some(inner) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
        return tag == "*";
    };
    let parts: Vec<&str> = inner.split('-').collect();
    let hex8 = |p: &str| {
        p.len() == 8
            && p.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    };
    matches!(parts.as_slice(), [a, v, b] if hex8(a) && hex8(b) && !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()))
}

/// `If-Match` and `If-None-Match: *` as a store precondition.
pub(crate) fn precondition(req: &HttpRequest) -> Result<Precondition, ApiError> {
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
        (Some(m), None) if !m.split(',').map(str::trim).all(etag_shaped) => Err(ApiError::BadRequest(
            "If-Match takes `*` or ETags this API answered (\"xxxxxxxx-N-xxxxxxxx\"), comma separated".to_owned(),
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

/// The article as JSON with its `ETag` and `Last-Modified`.
pub(super) fn article_response(res: HttpResponseBuilder, view: &ArticleView) -> HttpResponse {
    document_response(res, etag(view), view.updated_at, view)
}

/// A document (an article, a page) as JSON with its `ETag` and its `updated_at` as `Last-Modified`.
pub(crate) fn document_response(
    mut res: HttpResponseBuilder,
    etag: String,
    updated_at: chrono::DateTime<chrono::Utc>,
    body: &impl serde::Serialize,
) -> HttpResponse {
    res.insert_header((header::ETAG, etag));
    if let Ok(modified) =
        HeaderValue::from_str(&updated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
    {
        res.insert_header((header::LAST_MODIFIED, modified));
    }
    res.json(body)
}
