//! Change-log entries as the change feed and the webhooks show them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{rfc3339, ArticleCard, ArticleView, AuthorView, PageView, TagView};
use crate::domain::site::SiteSettings;
use crate::domain::surrogate;
use crate::store::changes::Change;

/// One change: what happened to which resource, and the resource as it now is. An entry without its resource's
/// object is a tombstone: the resource was deleted or unpublished (or, for an older entry, a later entry of the
/// same feed deletes or unpublishes it). Remove the resource with this `id` from what you keep.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"position": 42, "type": "article.published", "at": "2026-11-30T09:00:00Z",
    "resource": "article", "id": "0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00", "slug": "message-queues-explained",
    "previous_slug": null, "public": true,
    "article": {"id": "0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00", "slug": "message-queues-explained",
        "title": "Message Queues Explained", "summary": "When to reach for a queue.", "word_count": 1612,
        "reading_time_minutes": 8, "status": "published", "featured": true, "published_at": "2026-11-30T09:00:00Z",
        "created_at": "2026-11-29T16:12:03Z", "updated_at": "2026-11-30T08:55:40Z", "version": 3,
        "tags": [{"slug": "system-design", "name": "System Design"}],
        "primary_tag": {"slug": "system-design", "name": "System Design"},
        "authors": [{"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}],
        "primary_author": {"slug": "ada", "name": "Ada Lovelace", "avatar_url": null}, "cover_image": null,
        "seo": {"meta_title": null, "meta_description": null, "canonical_url": null}}}))]
pub struct ChangeView {
    /// The entry's place in the log: positions grow in commit order, so every change after this one has a
    /// greater position.
    pub position: i64,
    /// What happened. `article.created` is a new draft or scheduled article, `article.published` an article
    /// becoming public (on its write, or when its scheduled time comes), `article.updated` an edit that kept it
    /// public (or, with a token, not public), `article.unpublished` a public article made a draft or moved into
    /// the future.
    #[serde(rename = "type")]
    #[schema(example = "article.published")]
    pub kind: ChangeType,
    /// When the change took its place in the log, on the database's clock: a later position never has an earlier
    /// time. (A scheduled article's `article.published` is logged when its time comes.)
    #[serde(serialize_with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub resource: ResourceKind,
    /// The resource's id: stable across renames.
    pub id: Uuid,
    /// The resource's slug after the change (before it, for a deletion).
    pub slug: String,
    /// The slug before the change, when the change renamed the resource.
    pub previous_slug: Option<String>,
    /// Whether a reader without a token saw the change (always true in the public feed).
    pub public: bool,
    /// The article's card as it now is (articles only; absent from tombstones).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ArticleCard>)]
    pub article: Option<ArticleView>,
    /// The tag as it now is (tags only; absent from tombstones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<TagView>,
    /// The author as they now are (authors only; absent from tombstones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<AuthorView>,
    /// On a page's entry while it exists and the reader may see it; its listing form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageView>,
    /// On `site.updated`: the settings now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteSettings>,
    /// The `Surrogate-Key`s of the public responses this change made stale, for a CDN to purge (empty when no
    /// reader without a token saw the change). An article's include its neighbours' as they are when this entry
    /// is read.
    #[schema(example = json!(["article:0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00", "articles", "changes"]))]
    pub purge_keys: Vec<String>,
}

/// The type of a change.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
pub enum ChangeType {
    #[serde(rename = "article.created")]
    ArticleCreated,
    #[serde(rename = "article.published")]
    ArticlePublished,
    #[serde(rename = "article.updated")]
    ArticleUpdated,
    #[serde(rename = "article.unpublished")]
    ArticleUnpublished,
    #[serde(rename = "article.deleted")]
    ArticleDeleted,
    #[serde(rename = "tag.created")]
    TagCreated,
    #[serde(rename = "tag.updated")]
    TagUpdated,
    #[serde(rename = "tag.deleted")]
    TagDeleted,
    #[serde(rename = "author.created")]
    AuthorCreated,
    #[serde(rename = "author.updated")]
    AuthorUpdated,
    #[serde(rename = "author.deleted")]
    AuthorDeleted,
    #[serde(rename = "page.created")]
    PageCreated,
    #[serde(rename = "page.published")]
    PagePublished,
    #[serde(rename = "page.updated")]
    PageUpdated,
    #[serde(rename = "page.unpublished")]
    PageUnpublished,
    #[serde(rename = "page.deleted")]
    PageDeleted,
    #[serde(rename = "site.updated")]
    SiteUpdated,
}

impl ChangeType {
    /// The stored name (the migration's CHECK lists the same ones).
    fn parse(stored: &str) -> Option<ChangeType> {
        use ChangeType::*;
        Some(match stored {
            "article.created" => ArticleCreated,
            "article.published" => ArticlePublished,
            "article.updated" => ArticleUpdated,
            "article.unpublished" => ArticleUnpublished,
            "article.deleted" => ArticleDeleted,
            "tag.created" => TagCreated,
            "tag.updated" => TagUpdated,
            "tag.deleted" => TagDeleted,
            "author.created" => AuthorCreated,
            "author.updated" => AuthorUpdated,
            "author.deleted" => AuthorDeleted,
            "page.created" => PageCreated,
            "page.published" => PagePublished,
            "page.updated" => PageUpdated,
            "page.unpublished" => PageUnpublished,
            "page.deleted" => PageDeleted,
            "site.updated" => SiteUpdated,
            _ => return None,
        })
    }
}

/// The kind of resource a change is about.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Article,
    Tag,
    Author,
    Page,
    Site,
}

impl ChangeView {
    /// The view of a stored change; `None` for a type this build does not know (a newer instance's).
    pub fn of(change: Change, now: DateTime<Utc>) -> Option<ChangeView> {
        let row = change.row;
        let kind = ChangeType::parse(&row.kind)?;
        let resource = match row.resource() {
            "article" => ResourceKind::Article,
            "tag" => ResourceKind::Tag,
            "author" => ResourceKind::Author,
            "page" => ResourceKind::Page,
            "site" => ResourceKind::Site,
            _ => return None,
        };
        let purge_keys = surrogate::purged_by(&row.purge(&change.neighbours)).to_vec();
        Some(ChangeView {
            purge_keys,
            position: row.position,
            kind,
            at: row.at,
            resource,
            id: row.resource_id,
            slug: row.slug,
            previous_slug: row.previous_slug,
            public: row.public,
            article: change.article.map(|a| ArticleView::from_record(a, now)),
            tag: change.tag.map(TagView::from),
            author: change.author.map(AuthorView::from),
            page: change.page.map(|p| PageView::from_record(p, now, false)),
            site: change.site,
        })
    }
}

/// Where the feed stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeFeedMeta {
    /// The `since` this page was read after.
    pub since: i64,
    /// The position to ask from next (`since=`): the last entry's while more follow; once caught up, the latest
    /// committed position (past entries this reader does not see, so retention never strands a reader who had
    /// nothing to read).
    pub next: i64,
    /// Whether more entries follow right away (ask again at once); false when the feed is caught up.
    pub has_more: bool,
}

/// Links of a feed page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeFeedLinks {
    #[serde(rename = "self")]
    pub this: String,
    /// This feed from `meta.next`: what to ask for next, now or later.
    pub next: String,
}

/// A page of the change feed, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"position": 43, "type": "article.deleted", "at": "2026-11-30T09:05:00Z",
    "resource": "article", "id": "7c1f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f11", "slug": "an-old-post",
    "previous_slug": null, "public": true}],
    "meta": {"since": 42, "next": 43, "has_more": false},
    "links": {"self": "/api/v1/changes?since=42", "next": "/api/v1/changes?since=43"}}))]
pub struct ChangeFeed {
    pub data: Vec<ChangeView>,
    pub meta: ChangeFeedMeta,
    pub links: ChangeFeedLinks,
}
