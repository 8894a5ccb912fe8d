//! `/api/v1/sitemap.xml` and its parts: the public articles, pages, tags and authors at their permalinks, with
//! `lastmod`. Up to 50,000 URLs it is one sitemap; beyond, a sitemap index of parts of at most 50,000 URLs each
//! (the protocol's limit; at most 200 + 120 + ~80 bytes per URL keeps a part far under its 50 MB). A sitemap is
//! streamed as it is read, 5,000 rows per query, so memory stays flat whatever the size.

use crate::domain::surrogate::{self, Keys};
use std::collections::VecDeque;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{self, Bytes, Path, Query};
use actix_web::{get, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::middleware::Uncached;
use super::problem::ApiError;
use super::responses::{BadRequest, NotFound, PublicRead, SiteUrlUnset};
use super::views::sitemap;
use super::{Answer, Ctx};
use crate::domain::site::SiteSettings;
use crate::state::AppState;
use crate::store::sitemap::{self as store, Key, Kind, Starts};

/// A part's start in its URL: microseconds since the epoch (negative before 1970), `-`, the row's id (32 hex
/// digits).
fn key_text((at, id): Key) -> String {
    format!("{}-{}", at.timestamp_micros(), id.simple())
}

fn parse_key(text: &str) -> Option<Key> {
    // The time may be negative (before 1970); the id holds no hyphen.
    let (micros, id) = text.rsplit_once('-')?;
    let unsigned = micros.strip_prefix('-').unwrap_or(micros);
    let digits = (1..=18).contains(&unsigned.len()) && unsigned.bytes().all(|b| b.is_ascii_digit());
    let hex = id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (digits && hex).then_some(())?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, Uuid::parse_str(id).ok()?))
}

/// The site's settings and URL, or 409 while the URL is not set; and the ETag of every sitemap now: the change
/// log's latest position (every change of what a sitemap lists, and every go-live, is logged there) and the
/// number of URLs per part (instances with different settings cut different parts).
///
/// On the primary, never a replica: it logs the go-lives that are due (a write), and the batches it streams are
/// read after the request's handler has returned, from the primary, so their ETag must come from there too.
async fn prepare(state: &AppState) -> Result<(SiteSettings, String, String), ApiError> {
    let per_part = state.config.sitemap_urls;
    crate::db::run_into(&state.pool, move |conn| -> Result<_, ApiError> {
        let site = crate::store::site::get(conn)?.settings;
        let base = site.url.clone().ok_or(ApiError::SiteUrlUnset)?;
        crate::store::changes::publish_due(conn)?;
        let latest = crate::store::changes::latest(conn)?;
        Ok((site, base, format!("W/\"sitemap-{latest}-{per_part}\"")))
    })
    .await
}

/// The absolute public URL of one entry.
fn location(site: &SiteSettings, base: &str, kind: Kind, e: &store::Entry) -> String {
    let path = match kind {
        Kind::Articles => site.article_path(&e.slug, e.at),
        Kind::Pages => site.page_path(&e.slug),
        Kind::Tags => site.tag_path(&e.slug),
        Kind::Authors => site.author_path(&e.slug),
    };
    site.absolute_url(base, &path)
}

/// A streamed `<urlset>`: the segments in order, at most `remaining` URLs in all.
struct Walk {
    state: web::Data<AppState>,
    site: SiteSettings,
    base: String,
    segments: VecDeque<(Kind, Option<Key>)>,
    remaining: i64,
    opened: bool,
    closed: bool,
}

impl Walk {
    /// The next bytes: the envelope's opening, a batch of URLs, or its closing.
    async fn next(&mut self) -> Option<Result<Bytes, ApiError>> {
        if self.closed {
            return None;
        }
        if !self.opened {
            self.opened = true;
            return Some(Ok(Bytes::from_static(sitemap::URLSET_OPEN.as_bytes())));
        }
        while self.remaining > 0 {
            let Some(&(kind, from)) = self.segments.front() else {
                break;
            };
            let want = self.state.config.sitemap_batch.max(1).min(self.remaining);
            let read = super::run(&self.state, move |conn| {
                store::batch(conn, kind, from, want + 1)
            })
            .await;
            let mut rows = match read {
                Ok(rows) => rows,
                Err(e) => {
                    self.closed = true;
                    return Some(Err(e));
                }
            };
            if rows.len() as i64 > want {
                let next = rows[want as usize].key();
                rows.truncate(want as usize);
                if let Some(front) = self.segments.front_mut() {
                    front.1 = Some(next);
                }
            } else {
                self.segments.pop_front();
            }
            if rows.is_empty() {
                continue;
            }
            self.remaining -= rows.len() as i64;
            let mut out = String::with_capacity(rows.len() * 120);
            for e in &rows {
                sitemap::url(
                    &mut out,
                    &location(&self.site, &self.base, kind, e),
                    e.lastmod,
                );
            }
            return Some(Ok(Bytes::from(out)));
        }
        self.closed = true;
        Some(Ok(Bytes::from_static(sitemap::URLSET_CLOSE.as_bytes())))
    }
}

/// A sitemap lists every kind of public resource, with links made by the site's settings.
fn everything() -> (&'static str, String) {
    let keys = Keys::of([
        surrogate::ARTICLES,
        surrogate::PAGES,
        surrogate::TAGS,
        surrogate::AUTHORS,
        surrogate::SITE,
    ]);
    (surrogate::HEADER, keys.header())
}

/// A streamed sitemap answer: not buffered by the response cache, its ETag decided before the first row is read
/// (a 304 reads none).
fn streamed(walk: Walk, etag: String) -> HttpResponse {
    let body = futures_util::stream::unfold(walk, |mut w| async move {
        w.next().await.map(|chunk| (chunk, w))
    });
    let mut res = HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        ))
        .insert_header((header::ETAG, etag))
        .insert_header(everything())
        .streaming(body);
    res.extensions_mut().insert(Uncached);
    res
}

/// The sitemap: one `<urlset>` of every public article, page, tag (with public articles) and author (with
/// public articles) up to 50,000 URLs; beyond, a `<sitemapindex>` of parts.
///
/// Locations are the site's URL and permalink templates (see `/site`); `lastmod` is each one's `updated_at`.
/// The index's parts are this API's `/sitemaps/{part}` URLs (serve them from your site's host through a proxy,
/// or list this URL in `robots.txt`). Parts run oldest first, so earlier parts keep their content as the site
/// grows.
#[utoipa::path(
    tag = "sitemaps",
    responses(
        (status = 200, description = "A sitemap (`urlset`) or a sitemap index (`sitemapindex`)",
         content_type = "application/xml", body = String, headers(("ETag" = String))),
        (status = 409, response = SiteUrlUnset),
        PublicRead,
    ),
    security(())
)]
#[get("/sitemap.xml")]
pub async fn get_sitemap(Ctx { req, state }: Ctx) -> Answer {
    let (site, base, etag) = prepare(&state).await?;
    if let Some(not_modified) = unchanged(&req, &state, &etag) {
        return Ok(not_modified);
    }
    let counts = super::run(&state, |conn| {
        Kind::ALL
            .into_iter()
            .map(|k| store::count(conn, k).map(|n| (k, n)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let per_part = state.config.sitemap_urls;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    if total <= per_part {
        let walk = Walk {
            state,
            site,
            base,
            segments: Kind::ALL.into_iter().map(|k| (k, None)).collect(),
            remaining: per_part,
            opened: false,
            closed: false,
        };
        return Ok(streamed(walk, etag));
    }
    let present: Vec<Kind> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, _)| *k)
        .collect();
    let starts = starts(&state, &etag, present, per_part).await?;
    let mut out = String::from(sitemap::INDEX_OPEN);
    for (kind, keys) in starts {
        let part = super::listing::public_url(
            &req,
            &state,
            &format!("{}/sitemaps/{}.xml", super::API_PREFIX, kind.name()),
        );
        sitemap::sitemap(&mut out, &part);
        for key in keys {
            sitemap::sitemap(&mut out, &format!("{part}?from={}", key_text(key)));
        }
    }
    out.push_str(sitemap::INDEX_CLOSE);
    // Its part URLs name the host the request reached, which the response cache's key does not hold.
    let mut res = HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        ))
        .insert_header((header::ETAG, etag))
        .insert_header(everything())
        .body(out);
    res.extensions_mut().insert(Uncached);
    Ok(res)
}

/// A 304 for an anonymous conditional request that already has this ETag, before anything is read.
fn unchanged(req: &actix_web::HttpRequest, state: &AppState, etag: &str) -> Option<HttpResponse> {
    let anonymous = !req.headers().contains_key(header::AUTHORIZATION);
    (anonymous && super::middleware::none_match(req.headers(), etag)).then(|| {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.to_owned()))
            .insert_header((
                header::CACHE_CONTROL,
                super::middleware::public_policy(state),
            ))
            .finish()
    })
}

/// Where the index's parts start: found once per change (`etag`) and kept by this instance.
async fn starts(
    state: &AppState,
    etag: &str,
    present: Vec<Kind>,
    per_part: i64,
) -> Result<Starts, ApiError> {
    let kept = |guard: &Option<(String, Starts)>| {
        guard
            .as_ref()
            .filter(|(at, _)| at == etag)
            .map(|(_, s)| s.clone())
    };
    if let Some(found) = state.sitemap_starts.lock().ok().and_then(|g| kept(&g)) {
        return Ok(found);
    }
    let found = super::run(state, move |conn| {
        present
            .into_iter()
            .map(|k| store::starts(conn, k, per_part).map(|s| (k, s)))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    if let Ok(mut guard) = state.sitemap_starts.lock() {
        *guard = Some((etag.to_owned(), found.clone()));
    }
    Ok(found)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartParams {
    /// Where the part starts, as the sitemap index writes it (without it, the kind's first part).
    #[param(
        pattern = "^[0-9]{1,18}-[0-9a-f]{32}$",
        example = "1776502800000000-6f1c2b1e3d4a4c5b9e8f1a2b3c4d5e6f"
    )]
    pub from: Option<String>,
}

/// One part of a sitemap index: at most 50,000 URLs of one kind, oldest first, from `from`.
#[utoipa::path(
    tag = "sitemaps",
    params(
        ("part" = String, Path, description = "The kind of URL it lists",
         pattern = "^(articles|pages|tags|authors)\\.xml$", example = "articles.xml"),
        PartParams,
    ),
    responses(
        (status = 200, description = "A sitemap (`urlset`)", content_type = "application/xml", body = String,
         headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = SiteUrlUnset),
        PublicRead,
    ),
    security(())
)]
#[get("/sitemaps/{part}")]
pub async fn get_sitemap_part(
    Ctx { req, state }: Ctx,
    part: Path<String>,
    params: Query<PartParams>,
) -> Answer {
    let kind = part
        .strip_suffix(".xml")
        .and_then(Kind::named)
        .ok_or_else(|| ApiError::NotFound(format!("there is no sitemap part `{part}`")))?;
    let from = match params.from.as_deref() {
        None => None,
        Some(text) => Some(parse_key(text).ok_or_else(|| {
            ApiError::BadRequest(
                "`from` must be a part's start as the sitemap index writes it".to_owned(),
            )
        })?),
    };
    let (site, base, etag) = prepare(&state).await?;
    if let Some(not_modified) = unchanged(&req, &state, &etag) {
        return Ok(not_modified);
    }
    let remaining = state.config.sitemap_urls;
    let walk = Walk {
        state,
        site,
        base,
        segments: VecDeque::from([(kind, from)]),
        remaining,
        opened: false,
        closed: false,
    };
    Ok(streamed(walk, etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_keys_round_trip_and_refuse_junk() {
        let key = (
            DateTime::<Utc>::from_timestamp_micros(1_776_502_800_123_456).unwrap_or_default(),
            Uuid::from_u128(0x6f1c_2b1e_3d4a_4c5b_9e8f_1a2b_3c4d_5e6f),
        );
        assert_eq!(parse_key(&key_text(key)), Some(key));
        let before_1970 = (
            DateTime::<Utc>::from_timestamp_micros(-315_446_400_000_000).unwrap_or_default(),
            key.1,
        );
        assert_eq!(parse_key(&key_text(before_1970)), Some(before_1970));
        for junk in [
            "",
            "1-2",
            "x-6f1c2b1e3d4a4c5b9e8f1a2b3c4d5e6f",
            "1-6f1c2b1e-3d4a-4c5b-9e8f-1a2b3c4d5e6f",
        ] {
            assert_eq!(parse_key(junk), None, "{junk}");
        }
    }
}
