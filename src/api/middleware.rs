//! Cross-cutting HTTP behaviour, each in one place: request ids, caching headers with ETag / 304, and the
//! optional per-address limit on public reads.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};

use super::problem::{ApiError, InternalCause};
use crate::state::AppState;

pub const REQUEST_ID: &str = "x-request-id";

/// The request's id, as logged and sent back in `X-Request-Id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// An incoming id is echoed when it is sane: 1 to 128 characters of letters, digits, `.`, `_` and `-`.
fn sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Gives every request an id (the client's, when sane) and every response the `X-Request-Id` header; a server
/// error is logged with it.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let (method, path) = (req.method().clone(), req.path().to_owned());
    let mut res = next.call(req).await?;
    if res.status().is_server_error() {
        // The one place a server error is logged: with the request id, and the cause when there is one.
        match res.response().extensions().get::<InternalCause>() {
            Some(cause) => log::error!(
                "request {id}: {method} {path} answered {}: {}",
                res.status(),
                cause.0
            ),
            None => log::error!("request {id}: {method} {path} answered {}", res.status()),
        }
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(res)
}

/// A weak ETag from the bytes of a body: exact (never a stale 304) and cheap (xxh3 runs at memory speed), and
/// weak because compression may change the bytes on the wire.
pub fn body_etag(bytes: &[u8]) -> String {
    format!("W/\"{:016x}\"", twox_hash::XxHash3_64::oneshot(bytes))
}

/// `If-None-Match` with weak comparison (RFC 9110 §13.1.2).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == strip(etag))
}

/// `If-Modified-Since`, used only without `If-None-Match`.
fn not_modified_since(headers: &HeaderMap, last_modified: Option<&HeaderValue>) -> bool {
    let parse = |v: &HeaderValue| {
        v.to_str()
            .ok()
            .and_then(|s| chrono::DateTime::parse_from_rfc2822(&s.replace("GMT", "+0000")).ok())
    };
    match (
        headers.get(header::IF_MODIFIED_SINCE).and_then(parse),
        last_modified.and_then(parse),
    ) {
        (Some(since), Some(modified)) => modified <= since,
        _ => false,
    }
}

/// Caching headers for every response, in one place: public GETs may be cached by anyone for the configured
/// time; anything a token unlocked, every write and every error must not be stored. Successful GETs get an ETag
/// (a handler's own, such as an article's, or one derived from the body), and a matching `If-None-Match` (or,
/// without one, `If-Modified-Since`) gets a 304.
pub async fn http_caching(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let conditional = req.method() == Method::GET;
    let tokened = req.headers().contains_key(header::AUTHORIZATION);
    let request_headers = req.headers().clone();
    let operational = matches!(req.path(), "/healthz" | "/readyz");
    let public_policy = req
        .app_data::<web::Data<AppState>>()
        .map(|s| {
            format!(
                "public, max-age={}, stale-while-revalidate={}",
                s.config.cache_max_age, s.config.cache_stale_while_revalidate
            )
        })
        .unwrap_or_else(|| "no-store".to_owned());

    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !conditional || status != StatusCode::OK {
        let mut res = res;
        if !res.headers().contains_key(header::CACHE_CONTROL) && !status.is_redirection() {
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        return Ok(res);
    }

    let cache_control = if tokened {
        HeaderValue::from_static("private, no-store")
    } else if operational {
        HeaderValue::from_static("no-store")
    } else {
        HeaderValue::from_str(&public_policy).unwrap_or(HeaderValue::from_static("no-store"))
    };

    let (req, mut response) = res.into_parts();
    let etag = match response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
    {
        Some(tag) => tag.to_owned(),
        None => {
            let (head, body) = response.into_parts();
            let bytes = body::to_bytes(body)
                .await
                .map_err(|e| ApiError::internal(format!("response body: {e}")))?;
            let tag = body_etag(&bytes);
            response = head.set_body(BoxBody::new(bytes));
            if let Ok(value) = HeaderValue::from_str(&tag) {
                response.headers_mut().insert(header::ETAG, value);
            }
            tag
        }
    };
    let unchanged = if request_headers.contains_key(header::IF_NONE_MATCH) {
        none_match(&request_headers, &etag)
    } else {
        not_modified_since(
            &request_headers,
            response.headers().get(header::LAST_MODIFIED),
        )
    };
    if unchanged {
        let mut not_modified = HttpResponse::NotModified();
        for name in [header::ETAG, header::LAST_MODIFIED, header::VARY] {
            if let Some(v) = response.headers().get(&name) {
                not_modified.insert_header((name, v.clone()));
            }
        }
        response = not_modified.finish();
    }
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache_control);
    headers.append(header::VARY, HeaderValue::from_static("Authorization"));
    Ok(ServiceResponse::new(req, response))
}

const CACHED_HEADERS: [header::HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::ETAG,
    header::LAST_MODIFIED,
    header::LINK,
];
const X_CACHE: &str = "x-cache";

/// Serves public GETs of the API from the response cache (`X-Cache: hit`), fills it on a miss, and drops it
/// when a write through this instance succeeds, before the write's response leaves.
pub async fn response_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let api = req.path().starts_with(super::API_PREFIX);
    if req.method() != Method::GET {
        let writes = matches!(
            *req.method(),
            Method::POST | Method::PUT | Method::PATCH | Method::DELETE
        );
        let res = next.call(req).await?.map_into_boxed_body();
        if api && writes && res.status().is_success() {
            state.cache.invalidate();
        }
        return Ok(res);
    }
    let generation = state.cache.generation();
    let (Some(generation), true, false) = (
        generation,
        api,
        req.headers().contains_key(header::AUTHORIZATION),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = crate::cache::key(req.path(), req.query_string());
    if let Some(entry) = state.cache.get(generation, &key) {
        let mut res = HttpResponse::Ok();
        for (name, value) in &entry.headers {
            res.insert_header((name.as_str(), value.as_str()));
        }
        res.insert_header((X_CACHE, "hit"));
        return Ok(req.into_response(res.body(entry.body)));
    }
    let res = next.call(req).await?.map_into_boxed_body();
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let (req, response) = res.into_parts();
    let (mut head, body) = response.into_parts();
    let bytes = body::to_bytes(body)
        .await
        .map_err(|e| ApiError::internal(format!("response body: {e}")))?;
    if !head.headers().contains_key(header::ETAG) {
        if let Ok(value) = HeaderValue::from_str(&body_etag(&bytes)) {
            head.headers_mut().insert(header::ETAG, value);
        }
    }
    let headers = CACHED_HEADERS
        .iter()
        .filter_map(|name| {
            let value = head.headers().get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), value.to_owned()))
        })
        .collect();
    state.cache.insert(
        generation,
        key,
        crate::cache::Entry {
            headers,
            body: bytes.clone(),
        },
    );
    let mut response = head.set_body(BoxBody::new(bytes));
    response.headers_mut().insert(
        header::HeaderName::from_static(X_CACHE),
        HeaderValue::from_static("miss"),
    );
    Ok(ServiceResponse::new(req, response))
}

/// The optional per-address limit on public reads (`FOLIO_READ_RATE_LIMIT`).
pub async fn read_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limited = match (
        req.method() == Method::GET,
        req.app_data::<web::Data<AppState>>(),
        req.peer_addr(),
    ) {
        (true, Some(state), Some(addr)) => state.limits.read_wait(addr.ip()),
        _ => None,
    };
    match limited {
        Some(retry_after_secs) => {
            let err = ApiError::RateLimited {
                detail: "too many requests from this address; slow down".to_owned(),
                retry_after_secs,
            };
            Ok(req.into_response(err.error_response()))
        }
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}
