//! `/api/v1/changes`: the change feed, for apps that keep content offline and for incremental builds.

use crate::domain::surrogate::{self, Keys};
use actix_web::get;
use actix_web::web::Query;
use actix_web::HttpResponse;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::listing;
use super::responses::{BadRequest, ChangesExpired, ScopedRead};
use super::views::{ChangeFeed, ChangeFeedLinks, ChangeFeedMeta, ChangeView};
use super::{Answer, Ctx};
use crate::domain::article::Visibility;
use crate::domain::scope::Scope;
use crate::store::changes as store;

/// Query parameters of the change feed. Unknown parameters are rejected.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// The position of the last change you have (`meta.next` of your last read; 0 for the log's beginning).
    /// Without it, the answer has no entries and `meta.next` is the latest position: where to follow from after
    /// reading the content itself.
    #[param(value_type = Option<i64>, minimum = 0, example = 42)]
    pub since: Option<String>,
    /// Entries per page, 1 to 500 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500, example = 100)]
    pub limit: Option<String>,
    /// With a `content:read` token: every change, drafts' and scheduled articles' included (`public` tells which
    /// a reader without a token saw), with cards of any status.
    #[param(value_type = Option<bool>, example = false)]
    pub drafts: Option<String>,
}

/// Changes after a position, oldest first.
///
/// Every content change is in the log, written in the change's own transaction: articles published (when they
/// are written public, or when their scheduled time comes), updated, unpublished, deleted, renamed
/// (`previous_slug`), and tags and authors created, updated and deleted. Positions grow in commit order, so
/// following `meta.next` sees every change exactly once, even while writes commit concurrently.
///
/// Each entry carries its resource as it now is; an entry without one is a tombstone (remove the resource with
/// that `id`). Entries are kept for `FOLIO_CHANGES_RETENTION_DAYS` (30 by default); a `since` older than what
/// is kept answers 410 `/problems/changes-expired`: read the content again and follow from the latest position.
/// To start, ask without `since` for the latest committed position, then read the listings (with a token, so no
/// cache answers them), then follow from it.
#[utoipa::path(
    tag = "changes",
    params(ChangeParams),
    responses(
        (status = 200, description = "The changes after `since`, oldest first", body = ChangeFeed),
        (status = 400, response = BadRequest),
        (status = 410, response = ChangesExpired),
        ScopedRead,
    )
)]
#[get("/changes")]
pub async fn list_changes(
    Ctx { req, state }: Ctx,
    caller: Caller,
    params: Query<ChangeParams>,
) -> Answer {
    let params = params.into_inner();
    let drafts = listing::boolean("drafts", params.drafts.as_deref())?.unwrap_or(false);
    if drafts {
        caller.require(Scope::ContentRead)?;
    }
    let visibility = if drafts {
        Visibility::Any
    } else {
        Visibility::Public
    };
    let limit = listing::integer("limit", params.limit.as_deref(), 1, 500, 100)?;
    let since = match params.since.as_deref() {
        None => None,
        Some(_) => Some(listing::integer(
            "since",
            params.since.as_deref(),
            0,
            i64::MAX,
            0,
        )?),
    };
    let page = super::run(&state, move |conn| match since {
        Some(since) => store::feed(conn, visibility, since, limit),
        None => Ok(store::FeedPage {
            changes: Vec::new(),
            next: store::latest(conn)?,
            has_more: false,
        }),
    })
    .await?;
    let now = Utc::now();
    let from = since.unwrap_or(page.next);
    let at = |position: i64| listing::link(&req, &[("since", Some(position.to_string()))]);
    let mut res = HttpResponse::Ok();
    crate::api::surrogate::keyed(&mut res, &Keys::of([surrogate::CHANGES]));
    Ok(res.json(ChangeFeed {
        data: page
            .changes
            .into_iter()
            .filter_map(|c| ChangeView::of(c, now))
            .collect(),
        meta: ChangeFeedMeta {
            since: from,
            next: page.next,
            has_more: page.has_more,
        },
        links: ChangeFeedLinks {
            this: at(from),
            next: at(page.next),
        },
    }))
}
