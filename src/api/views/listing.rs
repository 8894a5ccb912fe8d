//! What every listing answers beside its data: pagination state and links.

use serde::Serialize;
use utoipa::ToSchema;

/// Pagination state of a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"page": 1, "per_page": 10, "total": 42, "total_exact": true, "total_pages": 5, "prev_page": null, "next_page": 2, "prev_cursor": null, "next_cursor": null}))]
pub struct Pagination {
    /// Page mode only.
    pub page: Option<i64>,
    pub per_page: i64,
    /// Matching items in all pages. Exact when `total_exact` is true; otherwise a lower bound: totals that no stored
    /// counter answers (search, `tag_all`, several tags, date ranges, combined filters) are counted up to 100.
    pub total: i64,
    /// False when counting stopped at 100: then `total` is 100, and `total_pages` and `links.last` are absent.
    pub total_exact: bool,
    /// Page mode only, and only when the total is exact.
    pub total_pages: Option<i64>,
    pub prev_page: Option<i64>,
    pub next_page: Option<i64>,
    /// Cursor mode only: opaque.
    pub prev_cursor: Option<String>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"pagination": {"page": 1, "per_page": 10, "total": 42, "total_exact": true, "total_pages": 5, "prev_page": null, "next_page": 2, "prev_cursor": null, "next_cursor": null}}))]
pub struct Meta {
    pub pagination: Pagination,
}

/// Relative links that keep every other query parameter; also sent as an RFC 8288 `Link` header.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"self": "/api/v1/articles?page=1&per_page=10", "first": "/api/v1/articles?page=1&per_page=10", "prev": null, "next": "/api/v1/articles?page=2&per_page=10", "last": "/api/v1/articles?page=5&per_page=10"}))]
pub struct Links {
    #[serde(rename = "self")]
    pub this: String,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Page mode only.
    pub last: Option<String>,
}
