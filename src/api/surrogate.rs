//! `Surrogate-Key` on public responses and `Purge-Keys` on writes: what each names is `domain::surrogate`'s rule.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::HttpResponseBuilder;

use super::views::ArticleView;
use crate::domain::surrogate::{self, Keys};
use crate::state::AppState;

/// Names `keys` in the response's `Surrogate-Key`.
pub fn keyed(res: &mut HttpResponseBuilder, keys: &Keys) {
    if let Ok(value) = HeaderValue::from_str(&keys.header()) {
        res.insert_header((HeaderName::from_static(surrogate::HEADER), value));
    }
}

/// The keys of an article as shown: the article, its tags and authors (by name), and its neighbours (by title).
pub fn add_article(keys: &mut Keys, view: &ArticleView) {
    if view.newer.is_some() || view.older.is_some() {
        keys.add(surrogate::neighbours(view.id));
    }
    keys.add(surrogate::article(view.id));
    for tag in &view.tags {
        keys.add(surrogate::tag(&tag.slug));
    }
    for author in &view.authors {
        keys.add(surrogate::author(&author.slug));
    }
    for neighbour in [&view.newer, &view.older].into_iter().flatten().flatten() {
        keys.add(surrogate::article(neighbour.id));
    }
}

/// The keys of a list of articles: which public articles there are (every public article change purges it, so
/// each article's own key would add nothing), and the tags and authors whose names it shows.
pub fn of_articles(views: &[ArticleView]) -> Keys {
    let mut keys = Keys::of([surrogate::ARTICLES]);
    for view in views {
        view.tags
            .iter()
            .for_each(|t| keys.add(surrogate::tag(&t.slug)));
        view.authors
            .iter()
            .for_each(|a| keys.add(surrogate::author(&a.slug)));
    }
    keys
}

/// Most change-log entries one write's `Purge-Keys` names; beyond, it says `*` (purge everything).
const PURGE_ENTRIES: i64 = 200;

/// Names in `Purge-Keys` the surrogate keys the write's public changes made stale: those of the entries logged
/// after `before`. Entries of writes that committed meanwhile may be among them (more is purged, never less).
pub async fn purge_keys(state: &AppState, before: i64, res: &mut ServiceResponse<BoxBody>) {
    let found = crate::db::run(&state.pool, move |conn| {
        crate::store::changes::public_since(conn, before, PURGE_ENTRIES)
            .map_err(|e| crate::db::DbError::Unavailable(e.to_string()))
    })
    .await;
    let value = match found {
        Ok((_, true)) => "*".to_owned(),
        Ok((entries, false)) => {
            let mut keys = Keys::default();
            for (row, neighbours) in &entries {
                keys.extend(surrogate::purged_by(&row.purge(neighbours)));
            }
            keys.header()
        }
        Err(e) => {
            log::warn!("no Purge-Keys for a write: {e}");
            return;
        }
    };
    if let (false, Ok(value)) = (value.is_empty(), HeaderValue::from_str(&value)) {
        res.headers_mut()
            .insert(HeaderName::from_static(surrogate::PURGE_HEADER), value);
    }
}
