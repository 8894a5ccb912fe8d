//! What every listing answers beside its data: pagination state and links.

use serde::Serialize;
use utoipa::ToSchema;

/// Pagination state of a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Pagination {
    /// Page mode only.
    pub page: Option<i64>,
    pub per_page: i64,
    /// Matching items in all pages.
    pub total: i64,
    /// Page mode only.
    pub total_pages: Option<i64>,
    pub prev_page: Option<i64>,
    pub next_page: Option<i64>,
    /// Cursor mode only: opaque.
    pub prev_cursor: Option<String>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meta {
    pub pagination: Pagination,
}

/// Relative links that keep every other query parameter; also sent as an RFC 8288 `Link` header.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Links {
    #[serde(rename = "self")]
    pub this: String,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Page mode only.
    pub last: Option<String>,
}
