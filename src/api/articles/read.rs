//! Single-article reads: the whole article with its neighbours (a former slug answers 301), and related articles.

use actix_web::http::header;
use actix_web::web::{Path, Query};
use actix_web::{get, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::conditional::article_response;
use super::params::{fields_among, include_for, ArticleParams};
use super::{path_slug, subject};
use crate::api::auth::Caller;
use crate::api::listing;
use crate::api::problem::ApiError;
use crate::api::responses::{BadRequest, NotFound, TokenRead};
use crate::api::surrogate;
use crate::api::views::{sparse, ArticleList, ArticleView, NeighbourView};
use crate::api::{Answer, Ctx};
use crate::domain::article::{ReadStatus, Visibility};
use crate::domain::scope::Scope;
use crate::domain::surrogate::Keys;
use crate::state::AppState;
use crate::store::articles::{self as store, ArticleRecord};

/// The whole article with its neighbours in the public timeline (none unless it is public itself).
pub(super) async fn full_view(
    state: &AppState,
    record: ArticleRecord,
) -> Result<ArticleView, ApiError> {
    let now = Utc::now();
    let head = &record.head;
    let public = ReadStatus::at(head.status(), head.published_at, now) == ReadStatus::Published;
    let (newer, older) = if public {
        let (id, at) = (head.id, head.published_at);
        crate::api::run(state, move |conn| store::neighbours(conn, id, at)).await?
    } else {
        (None, None)
    };
    let mut view = ArticleView::from_record(record, now);
    view.newer = Some(newer.map(NeighbourView::from));
    view.older = Some(older.map(NeighbourView::from));
    Ok(view)
}

/// Reads of one article find it in any status with a `content:read` token, and only public ones without.
fn single_read_visibility(caller: &Caller) -> Visibility {
    if caller.require(Scope::ContentRead).is_ok() {
        Visibility::Any
    } else {
        Visibility::Public
    }
}

/// One article, whole, with `newer` and `older`. A former slug answers 301 to the current one.
///
/// `newer` and `older` are its neighbours in the public timeline (absent when the article is not public).
/// The ETag covers the article's version and its neighbours, so a 304 never hides a change of either.
#[utoipa::path(
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug", example = "message-queues-explained"), ArticleParams),
    responses(
        (status = 200, description = "The article (with `fields`, only the named fields)", body = ArticleView,
         headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 301, description = "The article has a new slug",
         headers(("Location" = String, description = "/api/v1/articles/{current-slug}"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        TokenRead,
    ),
    security((), ("token" = []))
)]
#[get("/articles/{slug}")]
pub async fn get_article(
    cx: Ctx,
    caller: Caller,
    slug: Path<String>,
    params: Query<ArticleParams>,
) -> Answer {
    let state = &cx.state;
    // On the detail, `fields` may also name the neighbours.
    let fields = fields_among(params.fields.as_deref(), &["newer", "older"])?;
    let slug = path_slug(&slug)?;
    let visibility = single_read_visibility(&caller);
    let lookup = slug.clone();
    let (found, renamed) = crate::api::run(state, move |conn| {
        let found = store::get(conn, visibility, &lookup)?;
        let renamed = match found {
            Some(_) => None,
            None => store::renamed_to(conn, visibility, &lookup)?,
        };
        diesel::QueryResult::Ok((found, renamed))
    })
    .await?;
    let Some(record) = found else {
        return match renamed {
            // Stale once the former slug is taken by another article.
            Some(current) => Ok(HttpResponse::MovedPermanently()
                .insert_header((
                    crate::domain::surrogate::HEADER,
                    crate::domain::surrogate::ARTICLES,
                ))
                .insert_header((
                    header::LOCATION,
                    format!("{}/articles/{current}", crate::api::API_PREFIX),
                ))
                .finish()),
            None => Err(subject(&slug).not_found()),
        };
    };
    let view = full_view(state, record).await?;
    let mut keys = Keys::default();
    surrogate::add_article(&mut keys, &view);
    let mut res = HttpResponse::Ok();
    surrogate::keyed(&mut res, &keys);
    match fields {
        None => Ok(article_response(res, &view)),
        // A sparse representation is its own: its ETag comes from its body (see `middleware::http_caching`).
        Some(names) => {
            let value = serde_json::to_value(&view).map_err(ApiError::internal)?;
            Ok(res.json(sparse(value, &names)))
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelatedParams {
    /// How many, 1 to 20 (default 3).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 20, example = 3)]
    pub limit: Option<String>,
}

/// Public articles sharing the most tags with this one, ties broken by newest; never the article itself.
///
/// Answers cards, best first; an article without tags has no related articles.
#[utoipa::path(
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug"), RelatedParams),
    responses(
        (status = 200, description = "Related article cards, best first", body = ArticleList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        TokenRead,
    ),
    security((), ("token" = []))
)]
#[get("/articles/{slug}/related")]
pub async fn list_related_articles(
    cx: Ctx,
    caller: Caller,
    slug: Path<String>,
    params: Query<RelatedParams>,
) -> Answer {
    let state = &cx.state;
    let limit = listing::integer("limit", params.limit.as_deref(), 1, 20, 3)?;
    let slug = path_slug(&slug)?;
    let visibility = single_read_visibility(&caller);
    let lookup = slug.clone();
    let rows = crate::api::run(state, move |conn| {
        let Some(id) = store::id_of(conn, visibility, &lookup)? else {
            return Ok(None);
        };
        store::related(conn, id, limit, include_for(None)).map(Some)
    })
    .await?
    .ok_or_else(|| subject(&slug).not_found())?;
    let now = Utc::now();
    let data: Vec<ArticleView> = rows
        .into_iter()
        .map(|r| ArticleView::from_record(r, now))
        .collect();
    let mut res = HttpResponse::Ok();
    surrogate::keyed(&mut res, &surrogate::of_articles(&data));
    Ok(res.json(ArticleList { data }))
}
