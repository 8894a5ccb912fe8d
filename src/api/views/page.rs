//! Pages as JSON: an article's fields less those that place it among others (tags, authors, featured,
//! neighbours).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{rfc3339, rfc3339_opt, ArticleStatus, Links, Meta};
use crate::domain::article::{CoverImage, ReadStatus, Seo};
use crate::domain::markdown::TocEntry;
use crate::store::pages::PageRecord;

/// A page. Listings leave out `body_markdown`, `body_html` and `toc`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "6f1c2b1e-3d4a-4c5b-9e8f-1a2b3c4d5e6f",
    "slug": "about",
    "title": "About",
    "summary": "I write about distributed systems & the tools that run them.",
    "body_markdown": "I write about distributed systems & the tools that run them.",
    "body_html": "<p>I write about distributed systems &amp; the tools that run them.</p>\n",
    "toc": [],
    "word_count": 10,
    "reading_time_minutes": 1,
    "status": "published",
    "published_at": "2026-04-18T09:00:00Z",
    "created_at": "2026-04-18T08:55:12Z",
    "updated_at": "2026-04-18T09:00:00Z",
    "version": 1,
    "cover_image": null,
    "seo": {"meta_title": null, "meta_description": null, "canonical_url": null}
}))]
pub struct PageView {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_markdown: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toc: Option<Vec<TocEntry>>,
    pub word_count: i32,
    pub reading_time_minutes: i32,
    pub status: ArticleStatus,
    #[serde(serialize_with = "rfc3339_opt")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub cover_image: Option<CoverImage>,
    pub seo: Seo,
}

impl PageView {
    /// The whole page (`whole`), or its listing form.
    pub fn from_record(r: PageRecord, now: DateTime<Utc>, whole: bool) -> PageView {
        let status = ReadStatus::at(r.status(), r.published_at, now);
        PageView {
            id: r.id,
            slug: r.slug,
            title: r.title,
            summary: r.summary,
            body_markdown: whole.then_some(r.body_markdown),
            body_html: whole.then_some(r.body_html),
            toc: whole.then(|| serde_json::from_value(r.toc).unwrap_or_default()),
            word_count: r.word_count,
            reading_time_minutes: r.reading_time_minutes,
            status: status.into(),
            published_at: r.published_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            cover_image: r.cover_image.and_then(|v| serde_json::from_value(v).ok()),
            seo: serde_json::from_value(r.seo).unwrap_or_default(),
        }
    }
}

/// A page of pages, by title.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageListing {
    pub data: Vec<PageView>,
    pub meta: Meta,
    pub links: Links,
}
