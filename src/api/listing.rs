//! What every listing shares: strict parsing of query values (a bad one is a 400 naming the parameter), the
//! `meta.pagination` block, relative links that keep the other parameters, mirrored in a `Link` header, and this
//! API's absolute URL for documents that name themselves (`public_url`).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponseBuilder};
use chrono::{DateTime, Utc};

use super::problem::ApiError;
use super::views::{Links, Pagination};
use crate::domain::slug::{InvalidSlug, Slug};
pub use crate::store::articles::Total;

fn bad(name: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(format!("query parameter `{name}` {message}"))
}

/// Text as sent, refused when it holds a NUL (PostgreSQL cannot store one) or is absurdly long.
pub fn text<'a>(
    name: &str,
    value: Option<&'a str>,
    max_chars: usize,
) -> Result<Option<&'a str>, ApiError> {
    match value {
        Some(v) if v.contains('\0') => Err(bad(name, "must not contain NUL characters")),
        Some(v) if v.chars().count() > max_chars => {
            Err(bad(name, format!("must be at most {max_chars} characters")))
        }
        other => Ok(other),
    }
}

pub fn integer(
    name: &str,
    value: Option<&str>,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| bad(name, format!("must be an integer from {min} to {max}"))),
    }
}

pub fn boolean(name: &str, value: Option<&str>) -> Result<Option<bool>, ApiError> {
    match value {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(bad(name, "must be `true` or `false`")),
    }
}

pub fn timestamp(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .filter(crate::domain::time::representable)
                .ok_or_else(|| {
                    bad(
                        name,
                        "must be an RFC 3339 date-time such as 2026-04-18T09:00:00Z",
                    )
                })
        })
        .transpose()
}

/// A comma list of slugs. A slug-shaped value longer than any slug can be is accepted: as a filter it matches
/// nothing, like any other slug no row has.
pub fn slugs(name: &str, value: Option<&str>) -> Result<Vec<String>, ApiError> {
    let Some(value) = text(name, value, 2000)? else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(|s| {
            let s = s.trim();
            // Only the length is relaxed: the shape is a slug's.
            if Slug::shaped(s) {
                Ok(s.to_owned())
            } else {
                Err(bad(
                    name,
                    format!("holds `{s}`, which is not a slug: {InvalidSlug}"),
                ))
            }
        })
        .collect()
}

pub fn one_of<T: Copy>(
    name: &str,
    value: Option<&str>,
    choices: &[(&str, T)],
    default: T,
) -> Result<T, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => choices
            .iter()
            .find(|(k, _)| *k == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(k, _)| *k).collect();
                bad(name, format!("must be one of {}", names.join(", ")))
            }),
    }
}

/// Rewrites the request's query with the given parameters replaced (`None` removes them); the others keep their
/// order. The result is a relative URI.
pub fn link(req: &HttpRequest, set: &[(&str, Option<String>)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if !set.iter().any(|(name, _)| *name == k) {
            out.append_pair(&k, &v);
        }
    }
    for (k, v) in set {
        if let Some(v) = v {
            out.append_pair(k, v);
        }
    }
    let query = out.finish();
    if query.is_empty() {
        req.path().to_owned()
    } else {
        format!("{}?{query}", req.path())
    }
}

/// Page-mode pagination and links. When the total is only a lower bound, the last page is unknown: a next page is
/// offered while pages come back full.
pub fn page_links(
    req: &HttpRequest,
    page: i64,
    per_page: i64,
    total: Total,
    full: bool,
) -> (Pagination, Links) {
    let Total { count, exact } = total;
    let total_pages = if count == 0 {
        0
    } else {
        (count + per_page - 1) / per_page
    };
    let at = |p: i64| {
        link(
            req,
            &[
                ("page", Some(p.to_string())),
                ("cursor", None),
                ("per_page", Some(per_page.to_string())),
            ],
        )
    };
    let (prev_page, next_page) = if exact {
        (
            (page > 1).then(|| (page - 1).min(total_pages.max(1))),
            (page < total_pages).then_some(page + 1),
        )
    } else {
        ((page > 1).then_some(page - 1), full.then_some(page + 1))
    };
    (
        Pagination {
            page: Some(page),
            per_page,
            total: count,
            total_exact: exact,
            total_pages: exact.then_some(total_pages),
            prev_page,
            next_page,
            prev_cursor: None,
            next_cursor: None,
        },
        Links {
            this: at(page),
            first: Some(at(1)),
            prev: prev_page.map(at),
            next: next_page.map(at),
            last: exact.then(|| at(total_pages.max(1))),
        },
    )
}

/// Cursor-mode pagination and links.
pub fn cursor_links(
    req: &HttpRequest,
    current: Option<&str>,
    per_page: i64,
    total: Total,
    prev: Option<String>,
    next: Option<String>,
) -> (Pagination, Links) {
    let at = |c: &str| {
        link(
            req,
            &[
                ("page", None),
                ("cursor", Some(c.to_owned())),
                ("per_page", Some(per_page.to_string())),
            ],
        )
    };
    (
        Pagination {
            page: None,
            per_page,
            total: total.count,
            total_exact: total.exact,
            total_pages: None,
            prev_page: None,
            next_page: None,
            prev_cursor: prev.clone(),
            next_cursor: next.clone(),
        },
        Links {
            this: at(current.unwrap_or("")),
            first: Some(at("")),
            prev: prev.as_deref().map(at),
            next: next.as_deref().map(at),
            last: None,
        },
    )
}

/// The RFC 8288 `Link` header for a listing's links.
pub fn link_header(res: &mut HttpResponseBuilder, links: &Links) {
    let parts: Vec<String> = [
        ("first", &links.first),
        ("prev", &links.prev),
        ("next", &links.next),
        ("last", &links.last),
    ]
    .into_iter()
    .filter_map(|(rel, href)| href.as_ref().map(|h| format!("<{h}>; rel=\"{rel}\"")))
    .collect();
    if let Ok(value) = HeaderValue::from_str(&parts.join(", ")) {
        if !parts.is_empty() {
            res.insert_header((header::LINK, value));
        }
    }
}

/// This API's absolute URL for `path_and_query`, for documents that name themselves (feeds, the sitemap index):
/// `FOLIO_PUBLIC_URL` when set; otherwise the request's `Host` over plain HTTP, or, when the request came through
/// a trusted proxy, the host and scheme it forwarded. A `Host` that is not a host name falls back to the bound
/// address.
pub fn public_url(
    req: &HttpRequest,
    state: &crate::state::AppState,
    path_and_query: &str,
) -> String {
    if let Some(base) = &state.config.public_url {
        return format!("{base}{path_and_query}");
    }
    let from_proxy = req.peer_addr().is_some_and(|peer| {
        state
            .config
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&peer.ip()))
    });
    if from_proxy {
        let info = req.connection_info();
        return format!("{}://{}{path_and_query}", info.scheme(), info.host());
    }
    let host = req
        .headers()
        .get(actix_web::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| state.config.bind.to_string());
    format!("http://{host}{path_and_query}")
}
