//! Article listings: `/articles` and `/featured`, in pages or by cursor, as cards or sparse fieldsets.

use actix_web::web::Query;
use actix_web::{get, HttpResponse};
use chrono::Utc;
use serde_json::Value;

use super::params::{parse, ArticleListParams};
use crate::api::auth::Caller;
use crate::api::listing;
use crate::api::problem::ApiError;
use crate::api::responses::{BadRequest, ScopedRead};
use crate::api::views::{sparse, ArticleListing, ArticleView, Meta};
use crate::api::{Answer, Ctx};
use crate::store::articles::{self as store, Window};

async fn respond_listing(
    Ctx { req, state }: Ctx,
    caller: Caller,
    params: ArticleListParams,
    default_per_page: i64,
    featured: Option<bool>,
) -> Answer {
    let secret = state.cursor_secret().await?;
    let parsed = parse(&params, &caller, &secret, default_per_page, featured)?;
    let query = parsed.query.clone();
    let page = crate::api::run(&state, move |conn| store::list(conn, &query)).await?;
    let secret = &secret;
    let (pagination, links) = match parsed.query.window {
        Window::Page { page: n, per_page } => listing::page_links(
            &req,
            n,
            per_page,
            page.total,
            page.rows.len() as i64 >= per_page,
        ),
        Window::Cursor { per_page, .. } => listing::cursor_links(
            &req,
            parsed.cursor_text.as_deref(),
            per_page,
            page.total,
            page.prev.map(|c| c.encode(secret)),
            page.next.map(|c| c.encode(secret)),
        ),
    };
    let now = Utc::now();
    let data: Vec<ArticleView> = page
        .rows
        .into_iter()
        .map(|r| ArticleView::from_record(r, now))
        .collect();
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    crate::api::surrogate::keyed(&mut res, &crate::api::surrogate::of_articles(&data));
    let listing = ArticleListing {
        data,
        meta: Meta { pagination },
        links,
    };
    Ok(match &parsed.fields {
        None => res.json(listing),
        Some(fields) => {
            let mut value = serde_json::to_value(&listing).map_err(ApiError::internal)?;
            if let Some(Value::Array(items)) = value.get_mut("data") {
                for item in items.iter_mut() {
                    *item = sparse(item.take(), fields);
                }
            }
            res.json(value)
        }
    })
}

/// List articles: cards, newest first by default, in pages or by cursor.
///
/// Anyone sees published articles whose `published_at` has passed; a `content:read` token may ask for drafts
/// and scheduled articles with `status`. Page mode answers totals and page numbers; cursor mode (`cursor=`
/// empty for the first page) answers opaque cursors and visits every article once even while others are
/// published. Filters combine; `q` searches in web-search syntax and sorts by relevance unless `sort` is given.
#[utoipa::path(
    tag = "articles",
    params(ArticleListParams),
    responses(
        (status = 200, description = "A page of article cards", body = ArticleListing,
         headers(("Link" = String, description = "RFC 8288 links: first, prev, next, last"))),
        (status = 400, response = BadRequest),
        ScopedRead,
    ),
    security((), ("token" = []))
)]
#[get("/articles")]
pub async fn list_articles(cx: Ctx, caller: Caller, params: Query<ArticleListParams>) -> Answer {
    respond_listing(cx, caller, params.into_inner(), 10, None).await
}

/// Featured articles: the same as `/articles?featured=true`, three per page by default.
///
/// Takes every parameter of `GET /articles` but `featured`, which the path implies.
#[utoipa::path(
    tag = "articles",
    params(ArticleListParams),
    responses(
        (status = 200, description = "A page of featured article cards", body = ArticleListing,
         headers(("Link" = String, description = "RFC 8288 links: first, prev, next, last"))),
        (status = 400, response = BadRequest),
        ScopedRead,
    ),
    security((), ("token" = []))
)]
#[get("/featured")]
pub async fn list_featured_articles(
    cx: Ctx,
    caller: Caller,
    params: Query<ArticleListParams>,
) -> Answer {
    let params = params.into_inner();
    if params.featured.is_some() {
        return Err(ApiError::BadRequest(
            "query parameter `featured` is implied by /featured; use /articles?featured=false for the others".to_owned(),
        ));
    }
    respond_listing(cx, caller, params, 3, Some(true)).await
}
