//! The JSON that leaves the server, separate from database rows so that a column change never silently changes
//! the API. Field names here are the contract of PRODUCT.md §2.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::article::ReadStatus;
pub use crate::domain::article::{CoverImage, Seo};
use crate::domain::markdown::TocEntry;
use crate::store::articles::{ArticleRecord, AuthorLink, Neighbour, TagLink};
use crate::store::authors::AuthorWrite;
use crate::store::resource::Record;
use crate::store::tags::TagWrite;
use crate::store::tokens::TokenRecord;

/// RFC 3339 in UTC with a `Z`, to the second unless the time has a fraction.
pub fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub fn rfc3339_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

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
    pub slug: String,
    pub title: String,
    #[serde(serialize_with = "rfc3339_opt")]
    pub published_at: Option<DateTime<Utc>>,
}

impl From<Neighbour> for NeighbourView {
    fn from(n: Neighbour) -> Self {
        NeighbourView {
            slug: n.slug,
            title: n.title,
            published_at: n.published_at,
        }
    }
}

/// `draft`, `scheduled` (published with a future `published_at`) or `published`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
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
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"slug": "system-design", "name": "System Design", "description": "Designing systems that last.",
    "article_count": 12, "created_at": "2026-01-03T10:00:00Z", "updated_at": "2026-01-03T10:00:00Z"}))]
pub struct TagView {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// Public articles with this tag.
    pub article_count: i64,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<Record<TagWrite>> for TagView {
    fn from(t: Record<TagWrite>) -> Self {
        TagView {
            slug: t.content.slug,
            name: t.content.name,
            description: t.content.description,
            article_count: t.article_count,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"slug": "ada", "name": "Ada Lovelace", "bio": "Writes about engines.",
    "avatar_url": "https://example.com/ada.png", "website": "https://example.com", "article_count": 7}))]
pub struct AuthorView {
    pub slug: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
    /// Public articles by this author.
    pub article_count: i64,
}

impl From<Record<AuthorWrite>> for AuthorView {
    fn from(a: Record<AuthorWrite>) -> Self {
        let article_count = a.article_count;
        let a = a.content;
        AuthorView {
            slug: a.slug,
            name: a.name,
            bio: a.bio,
            avatar_url: a.avatar_url,
            website: a.website,
            article_count,
        }
    }
}

/// An API token. The secret is never listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "5d0c8d4e-0f59-4c55-a2a4-3b1f0f9a6f11", "name": "ci-publisher",
    "scopes": ["content:write"], "created_at": "2026-11-01T08:00:00Z", "last_used_at": null, "expires_at": null}))]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<crate::domain::scope::Scope>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            scopes: t.scopes.iter().filter_map(|s| s.parse().ok()).collect(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        }
    }
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "5d0c8d4e-0f59-4c55-a2a4-3b1f0f9a6f11", "name": "ci-publisher",
    "scopes": ["content:write"], "created_at": "2026-11-01T08:00:00Z", "last_used_at": null, "expires_at": null,
    "secret": "folio_3Vq0mZr8cQk1YwzT5pLr2XnB7sHd9uGf4aEj6KtWy0o"}))]
pub struct CreatedTokenView {
    #[serde(flatten)]
    pub token: TokenView,
    /// Shown once; only its hash is stored.
    pub secret: String,
}

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

/// An article in a listing. Without `fields`, every property but `body_markdown`, `body_html` and `toc` is
/// present (each as in `ArticleView`); with `fields`, exactly the named ones. Hence none is required here.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"slug": "message-queues-explained", "title": "Message Queues Explained",
    "summary": "When to reach for a queue.", "reading_time_minutes": 8, "published_at": "2026-04-18T09:00:00Z",
    "primary_tag": {"slug": "system-design", "name": "System Design"}, "featured": true}))]
pub struct ArticleCard {
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
}

/// A page of articles (cards).
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleListing {
    #[schema(value_type = Vec<ArticleCard>)]
    pub data: Vec<ArticleView>,
    pub meta: Meta,
    pub links: Links,
}

/// A page of tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagListing {
    pub data: Vec<TagView>,
    pub meta: Meta,
    pub links: Links,
}

/// A page of authors.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorListing {
    pub data: Vec<AuthorView>,
    pub meta: Meta,
    pub links: Links,
}

/// Related articles, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    #[schema(value_type = Vec<ArticleCard>)]
    pub data: Vec<ArticleView>,
}

/// Every API token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub data: Vec<TokenView>,
}

/// Keeps only the named fields of each article object (sparse fieldsets).
pub fn sparse(mut value: Value, fields: &[String]) -> Value {
    if let Value::Object(map) = &mut value {
        map.retain(|k, _| fields.iter().any(|f| f == k));
    }
    value
}
