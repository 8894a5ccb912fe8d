//! `/api/v1/feeds/{rss,atom,json}`: the newest public articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1, for the
//! whole site, one tag (`tag=`) or one author (`author=`), with absolute links built from the site's URL and
//! permalink templates. Public reads like any other: cached, ETag/304, never a draft or a scheduled article.

use crate::domain::surrogate::{self, Keys};
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Query;
use actix_web::{get, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::{ApiError, Subject};
use super::responses::{BadRequest, NotFound, PublicRead, SiteUrlUnset};
use super::views::feed::{self, Feed, FeedItem};
use super::{Answer, Ctx};
use crate::domain::article::Visibility;
use crate::domain::site::{FeedContent, SiteSettings};
use crate::domain::slug::Slug;
use crate::state::AppState;
use crate::store::articles::{self, Filters, Include, ListQuery, Sort, Window};
use crate::store::authors::Authors;
use crate::store::resource;
use crate::store::tags::Tags;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Only articles with this tag (a slug); not with `author`.
    #[param(
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length = 120,
        example = "rust"
    )]
    pub tag: Option<String>,
    /// Only articles by this author (a slug); not with `tag`.
    #[param(
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        max_length = 120,
        example = "ada"
    )]
    pub author: Option<String>,
}

/// What a feed follows.
enum Scope {
    Site,
    Tag(String),
    Author(String),
}

fn slug_param(name: &str, value: &str) -> Result<String, ApiError> {
    Slug::parse(value).map(Slug::into_string).map_err(|_| {
        ApiError::BadRequest(format!(
            "`{name}` must be a slug (a-z, 0-9 and inner hyphens)"
        ))
    })
}

fn scope(params: &FeedParams) -> Result<Scope, ApiError> {
    match (&params.tag, &params.author) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "a feed follows the site, one `tag` or one `author`: not both".to_owned(),
        )),
        (Some(t), None) => Ok(Scope::Tag(slug_param("tag", t)?)),
        (None, Some(a)) => Ok(Scope::Author(slug_param("author", a)?)),
        (None, None) => Ok(Scope::Site),
    }
}

/// Reads everything a feed shows and makes it a `Feed`.
async fn build(cx: &Ctx, params: &FeedParams) -> Result<Feed, ApiError> {
    let scope = scope(params)?;
    let path = cx
        .req
        .uri()
        .path_and_query()
        .map_or(cx.req.path(), |p| p.as_str());
    let feed_url = super::listing::public_url(&cx.req, &cx.state, path);
    let state: &AppState = &cx.state;
    super::run(state, move |conn| -> Result<Feed, ApiError> {
        let stored = crate::store::site::get(conn)?;
        let site = stored.settings;
        let base = site.url.clone().ok_or(ApiError::SiteUrlUnset)?;
        let mut filters = Filters::default();
        let (title, description, home) = match &scope {
            Scope::Site => (
                site.title.clone(),
                site.description.clone(),
                site.absolute_url(&base, "/"),
            ),
            Scope::Tag(slug) => {
                let subject = Subject { kind: "tag", slug };
                // As anonymous tag reads: a tag that no public article uses is not found.
                let tag = resource::get::<Tags>(conn, slug)
                    .map_err(|e| ApiError::from_store(e, subject))?;
                if tag.article_count == 0 {
                    return Err(subject.not_found());
                }
                filters.tags_any = vec![slug.clone()];
                (
                    format!("{} — {}", site.title, tag.content.name),
                    tag.content.description.unwrap_or_default(),
                    site.absolute_url(&base, &site.tag_path(slug)),
                )
            }
            Scope::Author(slug) => {
                let author = resource::get::<Authors>(conn, slug).map_err(|e| {
                    ApiError::from_store(
                        e,
                        Subject {
                            kind: "author",
                            slug,
                        },
                    )
                })?;
                filters.author = Some(slug.clone());
                (
                    format!("{} — {}", site.title, author.content.name),
                    author.content.bio.unwrap_or_default(),
                    site.absolute_url(&base, &site.author_path(slug)),
                )
            }
        };
        let full = site.feeds.content == FeedContent::Full;
        let page = articles::list(
            conn,
            &ListQuery {
                visibility: Visibility::Public,
                filters,
                sort: Sort::PublishedDesc,
                window: Window::Page {
                    page: 1,
                    per_page: i64::from(site.feeds.items),
                },
                include: Include {
                    body_html: full,
                    tags: true,
                    authors: true,
                    ..Include::default()
                },
            },
        )?;
        let items: Vec<FeedItem> = page
            .rows
            .into_iter()
            .map(|r| item(&site, &base, r))
            .collect();
        let updated = items
            .iter()
            .map(|i| i.updated)
            .max()
            .unwrap_or(stored.updated_at);
        Ok(Feed {
            title,
            site_title: site.title.clone(),
            description,
            // The page the feed follows is stable, unlike the address a request reached.
            id: home.clone(),
            home_url: home,
            feed_url,
            language: site.locale.clone(),
            icon: site.icon_url.as_deref().map(|u| absolute(&site, &base, u)),
            updated,
            items,
        })
    })
    .await
}

/// A stored link made absolute: site paths get the site's URL in front.
fn absolute(site: &SiteSettings, base: &str, link: &str) -> String {
    if link.starts_with('/') {
        site.absolute_url(base, link)
    } else {
        link.to_owned()
    }
}

fn item(site: &SiteSettings, base: &str, r: articles::ArticleRecord) -> FeedItem {
    let h = r.head;
    let published = h.published_at.unwrap_or(h.created_at);
    let url = site.absolute_url(base, &site.article_path(&h.slug, published));
    // Readers show the body away from the site: its relative links and images point at the site.
    let content_html = match (r.body_html, url::Url::parse(&url)) {
        (Some(html), Ok(at)) => Some(crate::domain::markdown::absolute_links(&html, &at)),
        (html, _) => html,
    };
    FeedItem {
        id: format!("urn:uuid:{}", h.id),
        url,
        title: h.title,
        summary: h.summary,
        content_html,
        published,
        updated: h.updated_at.max(published),
        authors: r
            .authors
            .into_iter()
            .map(|a| {
                let url = site.absolute_url(base, &site.author_path(&a.slug));
                (a.name, url)
            })
            .collect(),
        tags: r.tags.into_iter().map(|t| t.name).collect(),
        image: h.cover_image.and_then(|c| {
            c.get("url")
                .and_then(|u| u.as_str())
                .map(|u| absolute(site, base, u))
        }),
    }
}

/// A feed names its own URL, which comes from the request unless `FOLIO_PUBLIC_URL` is set: only then may the
/// response cache (whose key holds no host) keep it.
fn answer(cx: &Ctx, content_type: &'static str, body: String) -> HttpResponse {
    let keys = Keys::of([
        surrogate::ARTICLES,
        surrogate::TAGS,
        surrogate::AUTHORS,
        surrogate::SITE,
    ]);
    let mut res = HttpResponse::Ok();
    super::surrogate::keyed(&mut res, &keys);
    let mut res = res
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .body(body);
    if cx.state.config.public_url.is_none() {
        res.extensions_mut().insert(super::middleware::Uncached);
    }
    res
}

/// RSS 2.0: the newest public articles (how many, and full content or summaries, are site settings).
///
/// Items carry `content:encoded` (full content), `dc:creator` (authors), categories (tag names) and a `guid`
/// that survives renames. A tag without public articles, or an unknown tag or author, is a 404.
#[utoipa::path(
    tag = "feeds",
    params(FeedParams),
    responses(
        (status = 200, description = "An RSS 2.0 document", content_type = "application/rss+xml", body = String,
         headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = SiteUrlUnset),
        PublicRead,
    ),
    security(())
)]
#[get("/feeds/rss")]
pub async fn rss_feed(cx: Ctx, params: Query<FeedParams>) -> Answer {
    let feed = build(&cx, &params).await?;
    Ok(answer(
        &cx,
        "application/rss+xml; charset=utf-8",
        feed::rss(&feed),
    ))
}

/// Atom 1.0: the newest public articles, ids as `urn:uuid:` URNs, summaries as text and content as HTML.
#[utoipa::path(
    tag = "feeds",
    params(FeedParams),
    responses(
        (status = 200, description = "An Atom 1.0 document", content_type = "application/atom+xml", body = String,
         headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = SiteUrlUnset),
        PublicRead,
    ),
    security(())
)]
#[get("/feeds/atom")]
pub async fn atom_feed(cx: Ctx, params: Query<FeedParams>) -> Answer {
    let feed = build(&cx, &params).await?;
    Ok(answer(
        &cx,
        "application/atom+xml; charset=utf-8",
        feed::atom(&feed),
    ))
}

/// JSON Feed 1.1: the newest public articles; `content_html`, or `content_text` (the summary) when the site's
/// feeds carry summaries.
#[utoipa::path(
    tag = "feeds",
    params(FeedParams),
    responses(
        (status = 200, description = "A JSON Feed 1.1 document", content_type = "application/feed+json",
         body = feed::JsonFeed, headers(("ETag" = String))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 409, response = SiteUrlUnset),
        PublicRead,
    ),
    security(())
)]
#[get("/feeds/json")]
pub async fn json_feed(cx: Ctx, params: Query<FeedParams>) -> Answer {
    let feed = build(&cx, &params).await?;
    Ok(answer(
        &cx,
        "application/feed+json; charset=utf-8",
        feed::json(&feed),
    ))
}
