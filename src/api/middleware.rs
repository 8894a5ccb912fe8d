//! Cross-cutting HTTP behaviour, each in one place: request ids, caching headers with ETag / 304, and the
//! optional per-address limit on public reads.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};

use super::problem::{ApiError, InternalCause};
use crate::cache::Lookup;
use crate::state::AppState;

pub const REQUEST_ID: &str = "x-request-id";

/// The client's address as `client::address` resolves it (behind trusted proxies, the forwarded one); what
/// limits key on.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl ClientAddr {
    /// The address `request_id` resolved for this request.
    pub fn of(req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        req.extensions().get::<ClientAddr>().and_then(|c| c.0)
    }
}

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

/// Gives every request an id (the client's, when sane) and its client address, and every response the
/// `X-Request-Id` header; a server error is logged with it.
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
    let peer = req.peer_addr().map(|a| a.ip());
    let client = match req.app_data::<web::Data<AppState>>() {
        Some(state) => crate::client::address(peer, req.headers(), &state.config.trusted_proxies),
        None => peer,
    };
    req.extensions_mut().insert(ClientAddr(client));
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
pub fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == strip(etag))
}

/// The `Cache-Control` of a public read, from the settings.
pub fn public_policy(state: &AppState) -> String {
    format!(
        "public, max-age={}, stale-while-revalidate={}",
        state.config.cache_max_age, state.config.cache_stale_while_revalidate
    )
}

/// Caching headers for every response, in one place: public GETs may be cached by anyone for the configured
/// time; anything a token unlocked, every write and every error must not be stored. Successful GETs get an ETag
/// (a handler's own, such as an article's, or one derived from the body), and a matching `If-None-Match` gets a
/// 304. `If-Modified-Since` is not evaluated: an article's representation changes when a neighbour does, which
/// its `Last-Modified` cannot show, while every ETag is exact (RFC 9110 lets a server ignore the header).
/// A redirect from a former slug may be cached like a public read, but never when a token asked for it.
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
        .map(|s| public_policy(s))
        .unwrap_or_else(|| "no-store".to_owned());

    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.response().extensions().get::<Immutable>().is_some() {
        return Ok(res);
    }
    let status = res.status();
    // Surrogate keys are for shared caches, which keep only public reads.
    let shared = conditional && !tokened && matches!(status.as_u16(), 200 | 301);
    if !shared {
        res.headers_mut().remove(crate::domain::surrogate::HEADER);
    }
    if conditional && status == StatusCode::MOVED_PERMANENTLY {
        let policy = if tokened {
            HeaderValue::from_static("private, no-store")
        } else {
            HeaderValue::from_str(&public_policy).unwrap_or(HeaderValue::from_static("no-store"))
        };
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, policy);
        headers.append(header::VARY, HeaderValue::from_static("Authorization"));
        return Ok(res);
    }
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
    let unchanged = none_match(&request_headers, &etag);
    if unchanged {
        let mut not_modified = HttpResponse::NotModified();
        let surrogate_key = header::HeaderName::from_static(crate::domain::surrogate::HEADER);
        for name in [
            header::ETAG,
            header::LAST_MODIFIED,
            header::VARY,
            surrogate_key,
        ] {
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

/// Marks a response whose `Cache-Control` its handler chose and that varies with nothing of the request (an
/// uploaded file, served immutable): kept as it is, tokens or not.
#[derive(Debug, Clone, Copy)]
pub struct Immutable;

/// Marks a response the response cache must not keep: a streamed one (the cache would buffer it whole), or one
/// that depends on more of the request than the cache's key holds.
#[derive(Debug, Clone, Copy)]
pub struct Uncached;

const CACHED_HEADERS: [header::HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::ETAG,
    header::LAST_MODIFIED,
    header::LINK,
    header::HeaderName::from_static(crate::domain::surrogate::HEADER),
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
        // Where the change log stood: the entries after it (once the write has committed) name what it purges.
        // Without a database the write could not be made either: it is refused at once.
        let before = if writes && api {
            let latest = crate::db::run(&state.pool, |conn| {
                crate::store::changes::latest(conn)
                    .map_err(|e| crate::db::DbError::Unavailable(e.to_string()))
            })
            .await;
            match latest {
                Ok(position) => Some(position),
                Err(e) => return Ok(req.into_response(ApiError::from(e).error_response())),
            }
        } else {
            None
        };
        let mut res = next.call(req).await?.map_into_boxed_body();
        if let (Some(before), true) = (before, res.status().is_success()) {
            super::surrogate::purge_keys(&state, before, &mut res).await;
        }
        // Any successful write empties the cache, whatever path it came by (`//api/v1/...` included); first,
        // replicas must reach the write before they serve this instance's reads again.
        if writes && res.status().is_success() {
            if state.replicas.any() {
                let position = crate::db::run(&state.pool, |conn| {
                    crate::db::replicas::primary_position(conn)
                        .map_err(|e| crate::db::DbError::Unavailable(e.to_string()))
                })
                .await;
                match position {
                    Ok(position) => state.replicas.advance(position),
                    // The listener raises it when it hears the write's notification.
                    Err(e) => log::warn!("replica watermark not raised after a write: {e}"),
                }
            }
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
    let fill = match state.cache.lookup(generation, key).await {
        Lookup::Hit(entry) => {
            let mut res = HttpResponse::Ok();
            for (name, value) in &entry.headers {
                res.insert_header((name.as_str(), value.as_str()));
            }
            res.insert_header((X_CACHE, "hit"));
            return Ok(req.into_response(res.body(entry.body)));
        }
        Lookup::Miss(fill) => fill,
    };
    let res = next.call(req).await?.map_into_boxed_body();
    if res.status() != StatusCode::OK || res.response().extensions().get::<Uncached>().is_some() {
        if let Some(fill) = fill {
            fill.pass();
        }
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
    if let Some(fill) = fill {
        fill.fill(crate::cache::Entry {
            headers,
            body: bytes.clone(),
        });
    }
    let mut response = head.set_body(BoxBody::new(bytes));
    response.headers_mut().insert(
        header::HeaderName::from_static(X_CACHE),
        HeaderValue::from_static("miss"),
    );
    Ok(ServiceResponse::new(req, response))
}

/// Marks an anonymous `GET` of the API as a public read, whose store calls may go to a read replica
/// (`db::replicas`). Writes, token reads and operational endpoints stay on the primary.
pub async fn read_routing(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let public = req.method() == Method::GET
        && req.path().starts_with(super::API_PREFIX)
        && !req.headers().contains_key(header::AUTHORIZATION);
    let routed = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.replicas.any());
    if public && routed {
        crate::db::replicas::public_reads(next.call(req))
            .await
            .map(ServiceResponse::map_into_boxed_body)
    } else {
        next.call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body)
    }
}

/// The optional per-address limit on public reads (`FOLIO_READ_RATE_LIMIT`).
pub async fn read_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let client = req.extensions().get::<ClientAddr>().and_then(|c| c.0);
    let limited = match (
        req.method() == Method::GET,
        req.app_data::<web::Data<AppState>>(),
        client,
    ) {
        (true, Some(state), Some(ip)) => state.limits.read_wait(ip),
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

/// HEAD is GET without a body (RFC 9110 §9.3.2): it reaches the GET handlers, and the server sends the GET
/// response's headers alone (actix writes no body for a HEAD request).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// A request refused before its body was read (no token, no scope, too large, wrong type) closes the connection
/// after the answer, instead of the server reading and discarding a body of any length.
pub async fn close_refused(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    let mut res = next.call(req).await?;
    let refused = matches!(res.status().as_u16(), 401 | 403 | 413 | 415);
    if has_body && refused {
        res.response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(res)
}

/// The access log's request line with token-shaped secrets masked, wherever a client put them.
pub fn redacted_request_line(req: &ServiceRequest) -> String {
    let line = format!("{} {} {:?}", req.method(), req.uri(), req.version());
    crate::domain::token::redact(&line)
}
