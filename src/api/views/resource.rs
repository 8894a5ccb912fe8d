//! Tags and authors as they leave the server, with their counts of public articles.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{rfc3339, Links, Meta};
use crate::store::authors::AuthorWrite;
use crate::store::resource::Record;
use crate::store::tags::TagWrite;

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

/// A page of tags.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"slug": "system-design", "name": "System Design", "description": null, "article_count": 12, "created_at": "2026-01-03T10:00:00Z", "updated_at": "2026-01-03T10:00:00Z"}], "meta": {"pagination": {"page": 1, "per_page": 100, "total": 1, "total_pages": 1, "prev_page": null, "next_page": null, "prev_cursor": null, "next_cursor": null}}, "links": {"self": "/api/v1/tags?page=1&per_page=100", "first": "/api/v1/tags?page=1&per_page=100", "prev": null, "next": null, "last": "/api/v1/tags?page=1&per_page=100"}}))]
pub struct TagListing {
    pub data: Vec<TagView>,
    pub meta: Meta,
    pub links: Links,
}

/// A page of authors.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"slug": "ada", "name": "Ada Lovelace", "bio": null, "avatar_url": null, "website": null, "article_count": 7}], "meta": {"pagination": {"page": 1, "per_page": 100, "total": 1, "total_pages": 1, "prev_page": null, "next_page": null, "prev_cursor": null, "next_cursor": null}}, "links": {"self": "/api/v1/authors?page=1&per_page=100", "first": "/api/v1/authors?page=1&per_page=100", "prev": null, "next": null, "last": "/api/v1/authors?page=1&per_page=100"}}))]
pub struct AuthorListing {
    pub data: Vec<AuthorView>,
    pub meta: Meta,
    pub links: Links,
}
