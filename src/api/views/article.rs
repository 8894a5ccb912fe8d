//! Articles as they leave the server: the whole article, cards, neighbours, and the tag and author references.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{rfc3339, rfc3339_opt, Links, Meta};
use crate::domain::article::ReadStatus;
pub use crate::domain::article::{CoverImage, Seo};
use crate::domain::markdown::TocEntry;
use crate::store::articles::{ArticleRecord, AuthorLink, Highlight, Neighbour, TagLink};

/// A tag as an article lists it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({"slug": "system-design", "name": "System Design"}))]
pub struct TagRef {
    pub slug: String,
    pub name: String,
}

impl From<TagLink> for TagRef {
    fn from(t: TagLink) -> Self {
        TagRef {
            slug: t.slug,
            name: t.name,
        }
    }
}

/// An author as an article lists them.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({"slug": "ada", "name": "Ada Lovelace", "avatar_url": "https://example.com/ada.png"}))]
pub struct AuthorRef {
    pub slug: String,
    pub name: String,
    pub avatar_url: Option<String>,
}

impl From<AuthorLink> for AuthorRef {
    fn from(a: AuthorLink) -> Self {
        AuthorRef {
            slug: a.slug,
            name: a.name,
            avatar_url: a.avatar_url,
        }
    }
}

/// The article right before or after another one in the public timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"slug": "kafka-in-practice", "title": "Kafka in practice", "published_at": "2026-04-20T09:00:00Z"}))]
pub struct NeighbourView {
    /// For the response's `Surrogate-Key`, not shown.
    #[serde(skip)]
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    #[serde(serialize_with = "rfc3339_opt")]
    pub published_at: Option<DateTime<Utc>>,
}

impl From<Neighbour> for NeighbourView {
    fn from(n: Neighbour) -> Self {
        NeighbourView {
            id: n.id,
            slug: n.slug,
            title: n.title,
            published_at: n.published_at,
        }
    }
}

/// Where a search result matched: HTML-escaped text (safe to insert as HTML) with `<mark>` around the words that
/// matched, typo corrections and prefixes included.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"title": "<mark>Consistent</mark> hashing &amp; friends",
    "body": "A ring of virtual nodes keeps <mark>consistent</mark> placement … when a node leaves, only its keys move"}))]
pub struct HighlightView {
    /// The whole title.
    pub title: String,
    /// Up to two fragments, joined by ` … `, of a 400-character window of the body around the first mention of a
    /// searched word in its first 20,000 characters (the body's opening when there is none).
    pub body: String,
}

impl From<Highlight> for HighlightView {
    fn from(h: Highlight) -> Self {
        HighlightView {
            title: h.title,
            body: h.body,
        }
    }
}

/// `draft`, `scheduled` (published with a future `published_at`) or `published`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[schema(example = "published")]
pub enum ArticleStatus {
    Draft,
    Scheduled,
    Published,
}

impl From<ReadStatus> for ArticleStatus {
    fn from(s: ReadStatus) -> Self {
        match s {
            ReadStatus::Draft => ArticleStatus::Draft,
            ReadStatus::Scheduled => ArticleStatus::Scheduled,
            ReadStatus::Published => ArticleStatus::Published,
        }
    }
}

/// An article. Listings return cards: every field but `body_markdown`, `body_html` and `toc` (unless `fields`
/// names them), and never `newer` / `older`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00",
    "slug": "message-queues-explained-sqs-vs-kafka-vs-sns",
    "title": "Message Queues Explained — SQS vs Kafka vs SNS",
    "summary": "When to reach for a queue, a log or a topic.",
    "body_markdown": "## Why queues?\n\nBecause...",
    "body_html": "<h2 id=\"why-queues\">Why queues?</h2>\n<p>Because...</p>\n",
    "toc": [{"level": 2, "id": "why-queues", "text": "Why queues?"}],
    "word_count": 1612,
    "reading_time_minutes": 8,
    "status": "published",
    "featured": true,
    "published_at": "2026-04-18T09:00:00Z",
    "created_at": "2026-04-17T16:12:03Z",
    "updated_at": "2026-04-18T08:55:40Z",
    "version": 3,
    "tags": [{"slug": "system-design", "name": "System Design"}],
    "primary_tag": {"slug": "system-design", "name": "System Design"},
    "authors": [{"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}],
    "primary_author": {"slug": "ada", "name": "Ada Lovelace", "avatar_url": null},
    "cover_image": {"url": "https://example.com/cover.jpg", "alt": "A harbour at dawn"},
    "seo": {"meta_title": null, "meta_description": null, "canonical_url": null},
    "newer": null,
    "older": {"slug": "kafka-in-practice", "title": "Kafka in practice", "published_at": "2026-04-10T09:00:00Z"}
}))]
pub struct ArticleView {
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
    pub featured: bool,
    #[serde(serialize_with = "rfc3339_opt")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub tags: Vec<TagRef>,
    pub primary_tag: Option<TagRef>,
    pub authors: Vec<AuthorRef>,
    pub primary_author: Option<AuthorRef>,
    pub cover_image: Option<CoverImage>,
    pub seo: Seo,
    /// Detail only: the next newer public article.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newer: Option<Option<NeighbourView>>,
    /// Detail only: the next older public article.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub older: Option<Option<NeighbourView>>,
    /// Search results only (`q`): where the article matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highlight: Option<HighlightView>,
}

impl ArticleView {
    pub fn from_record(r: ArticleRecord, now: DateTime<Utc>) -> ArticleView {
        let h = r.head;
        let status = ReadStatus::at(
            crate::domain::article::Status::from_stored(&h.status),
            h.published_at,
            now,
        );
        let tags: Vec<TagRef> = r.tags.into_iter().map(TagRef::from).collect();
        let authors: Vec<AuthorRef> = r.authors.into_iter().map(AuthorRef::from).collect();
        ArticleView {
            id: h.id,
            slug: h.slug,
            title: h.title,
            summary: h.summary,
            body_markdown: r.body_markdown,
            body_html: r.body_html,
            toc: r.toc.and_then(|v| serde_json::from_value(v).ok()),
            word_count: h.word_count,
            reading_time_minutes: h.reading_time_minutes,
            status: status.into(),
            featured: h.featured,
            published_at: h.published_at,
            created_at: h.created_at,
            updated_at: h.updated_at,
            version: h.version,
            primary_tag: tags.first().cloned(),
            tags,
            primary_author: authors.first().cloned(),
            authors,
            cover_image: h.cover_image.and_then(|v| serde_json::from_value(v).ok()),
            seo: serde_json::from_value(h.seo).unwrap_or_default(),
            newer: None,
            older: None,
            highlight: r.highlight.map(HighlightView::from),
        }
    }
}

/// An article in a listing requested without `fields`: every property of the article but `body_markdown`,
/// `body_html`, `toc`, `newer` and `older`, each always present.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"id": "0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00", "slug": "message-queues-explained",
    "title": "Message Queues Explained", "summary": "When to reach for a queue.", "word_count": 1612,
    "reading_time_minutes": 8, "status": "published", "featured": true, "published_at": "2026-04-18T09:00:00Z",
    "created_at": "2026-04-17T16:12:03Z", "updated_at": "2026-04-18T08:55:40Z", "version": 3,
    "tags": [{"slug": "system-design", "name": "System Design"}],
    "primary_tag": {"slug": "system-design", "name": "System Design"},
    "authors": [{"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}],
    "primary_author": {"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}, "cover_image": null,
    "seo": {"meta_title": null, "meta_description": null, "canonical_url": null}}))]
pub struct ArticleCard {
    id: Uuid,
    slug: String,
    title: String,
    summary: String,
    word_count: i32,
    reading_time_minutes: i32,
    status: ArticleStatus,
    featured: bool,
    /// Null for a draft that was never published.
    #[schema(required = true, format = DateTime)]
    published_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    version: i64,
    tags: Vec<TagRef>,
    #[schema(required = true)]
    primary_tag: Option<TagRef>,
    authors: Vec<AuthorRef>,
    #[schema(required = true)]
    primary_author: Option<AuthorRef>,
    #[schema(required = true)]
    cover_image: Option<CoverImage>,
    seo: Seo,
    /// Search results only (`q`).
    highlight: Option<HighlightView>,
}

/// An article (or a listing item) requested with `fields`: exactly the named properties, each as in
/// `ArticleView`. Hence none is required here.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"slug": "message-queues-explained", "title": "Message Queues Explained",
    "published_at": "2026-04-18T09:00:00Z"}))]
pub struct SparseArticle {
    id: Option<Uuid>,
    slug: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    body_markdown: Option<String>,
    body_html: Option<String>,
    toc: Option<Vec<TocEntry>>,
    word_count: Option<i32>,
    reading_time_minutes: Option<i32>,
    status: Option<ArticleStatus>,
    featured: Option<bool>,
    published_at: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    version: Option<i64>,
    tags: Option<Vec<TagRef>>,
    primary_tag: Option<TagRef>,
    authors: Option<Vec<AuthorRef>>,
    primary_author: Option<AuthorRef>,
    cover_image: Option<CoverImage>,
    seo: Option<Seo>,
    /// Detail only.
    newer: Option<NeighbourView>,
    /// Detail only.
    older: Option<NeighbourView>,
    /// Search results only (`q`).
    highlight: Option<HighlightView>,
}

/// A page of articles requested with `fields`.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"data": [{"slug": "message-queues-explained", "title": "Message Queues Explained"}],
    "meta": {"pagination": {"page": 1, "per_page": 10, "total": 1, "total_pages": 1, "prev_page": null,
    "next_page": null, "prev_cursor": null, "next_cursor": null}},
    "links": {"self": "/api/v1/articles?fields=slug%2Ctitle&page=1&per_page=10",
    "first": "/api/v1/articles?fields=slug%2Ctitle&page=1&per_page=10", "prev": null, "next": null,
    "last": "/api/v1/articles?fields=slug%2Ctitle&page=1&per_page=10"}}))]
pub struct SparseArticleListing {
    data: Vec<SparseArticle>,
    meta: Meta,
    links: Links,
}

/// A page of articles (cards).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"id": "0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00", "slug": "message-queues-explained", "title": "Message Queues Explained", "summary": "When to reach for a queue.", "word_count": 1612, "reading_time_minutes": 8, "status": "published", "featured": true, "published_at": "2026-04-18T09:00:00Z", "created_at": "2026-04-17T16:12:03Z", "updated_at": "2026-04-18T08:55:40Z", "version": 3, "tags": [{"slug": "system-design", "name": "System Design"}], "primary_tag": {"slug": "system-design", "name": "System Design"}, "authors": [{"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}], "primary_author": {"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}, "cover_image": null, "seo": {"meta_title": null, "meta_description": null, "canonical_url": null}}], "meta": {"pagination": {"page": 1, "per_page": 10, "total": 42, "total_pages": 5, "prev_page": null, "next_page": 2, "prev_cursor": null, "next_cursor": null}}, "links": {"self": "/api/v1/articles?page=1&per_page=10", "first": "/api/v1/articles?page=1&per_page=10", "prev": null, "next": "/api/v1/articles?page=2&per_page=10", "last": "/api/v1/articles?page=5&per_page=10"}}))]
pub struct ArticleListing {
    #[schema(value_type = Vec<ArticleCard>)]
    pub data: Vec<ArticleView>,
    pub meta: Meta,
    pub links: Links,
}

/// Related articles, best first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"id": "0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00", "slug": "message-queues-explained", "title": "Message Queues Explained", "summary": "When to reach for a queue.", "word_count": 1612, "reading_time_minutes": 8, "status": "published", "featured": true, "published_at": "2026-04-18T09:00:00Z", "created_at": "2026-04-17T16:12:03Z", "updated_at": "2026-04-18T08:55:40Z", "version": 3, "tags": [{"slug": "system-design", "name": "System Design"}], "primary_tag": {"slug": "system-design", "name": "System Design"}, "authors": [{"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}], "primary_author": {"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}, "cover_image": null, "seo": {"meta_title": null, "meta_description": null, "canonical_url": null}}]}))]
pub struct ArticleList {
    #[schema(value_type = Vec<ArticleCard>)]
    pub data: Vec<ArticleView>,
}

/// Keeps only the named fields of each article object (sparse fieldsets).
pub fn sparse(mut value: Value, fields: &[String]) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|k, _| fields.iter().any(|f| f == k));
    }
    value
}
