//! `/api/v1/search/suggest`: titles for a search box, as the reader types. Full search results are
//! `/api/v1/articles?q=` (ranked, typo-tolerant, highlighted); see `store::articles::search`.

use crate::domain::surrogate::{self, Keys};
use actix_web::get;
use actix_web::web::Query;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::listing;
use super::problem::ApiError;
use super::responses::{BadRequest, PublicRead};
use super::{Answer, Ctx};
use crate::store::articles::{self as store, Suggestion};

/// Query parameters of suggestions. Unknown parameters are rejected.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What the reader has typed: every word must be in the title (by its stem), the last one as a prefix unless
    /// a space ends it (`consis` finds "Consistent hashing"; a single letter is a whole word). At most 200
    /// characters.
    #[param(value_type = String, required = true, max_length = 200, example = "consistent has", pattern = r"^[^\u0000]*$")]
    pub q: Option<String>,
    /// How many titles, 1 to 10 (default 5).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10, example = 5)]
    pub limit: Option<String>,
}

/// A title for a search box.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "consistent-hashing", "title": "Consistent hashing & friends",
    "highlight": "<mark>Consistent</mark> hashing &amp; friends"}))]
pub struct SuggestionView {
    pub slug: String,
    /// As stored (plain text).
    pub title: String,
    /// The title HTML-escaped, with `<mark>` around the words that matched what was typed.
    pub highlight: String,
}

impl From<Suggestion> for SuggestionView {
    fn from(s: Suggestion) -> Self {
        SuggestionView {
            slug: s.slug,
            title: s.title,
            highlight: s.highlight,
        }
    }
}

/// Suggestions, newest article first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"slug": "consistent-hashing", "title": "Consistent hashing & friends",
    "highlight": "<mark>Consistent</mark> hashing &amp; friends"}]}))]
pub struct SuggestionList {
    pub data: Vec<SuggestionView>,
}

/// Suggest titles as the reader types.
///
/// The newest public articles whose title has every typed word, the last one as a prefix; meant for a search
/// box's dropdown, one request per keystroke (answers are cached like every public read). When no title has the
/// word being typed (it may begin a stop word, which titles are not indexed by), the titles of the words before
/// it. An empty or unsearchable `q` answers no titles.
#[utoipa::path(
    tag = "search",
    params(SuggestParams),
    responses(
        (status = 200, description = "Matching titles, newest first", body = SuggestionList),
        (status = 400, response = BadRequest),
        PublicRead,
    )
)]
#[get("/search/suggest")]
pub async fn suggest(Ctx { state, .. }: Ctx, params: Query<SuggestParams>) -> Answer {
    let params = params.into_inner();
    let q = listing::text("q", params.q.as_deref(), 200)?
        .ok_or_else(|| ApiError::BadRequest("query parameter `q` is required".to_owned()))?
        .trim_start()
        .to_owned();
    let limit = listing::integer("limit", params.limit.as_deref(), 1, 10, 5)?;
    let rows = crate::api::run(&state, move |conn| store::suggest(conn, &q, limit)).await?;
    let mut res = HttpResponse::Ok();
    crate::api::surrogate::keyed(&mut res, &Keys::of([surrogate::ARTICLES]));
    Ok(res.json(SuggestionList {
        data: rows.into_iter().map(SuggestionView::from).collect(),
    }))
}
