//! The shapes of article rows: the columns every read takes (`ArticleHead`), what a write stores (`Content`),
//! and typed tag and author links. Each column is named here once per shape; diesel checks them against
//! `schema.rs` at compile time.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use super::highlight::Highlight;
use crate::db::schema::articles;
use crate::domain::article::{ArticleWrite, Status};

/// Every cheap column of an article: what cards and the detail always need.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = articles, check_for_backend(diesel::pg::Pg))]
pub struct ArticleHead {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub summary_derived: bool,
    pub status: String,
    pub featured: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub word_count: i32,
    pub reading_time_minutes: i32,
    pub cover_image: Option<Value>,
    pub seo: Value,
}

impl ArticleHead {
    pub fn status(&self) -> Status {
        Status::from_stored(&self.status)
    }
}

/// A tag as an article lists it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct TagLink {
    pub slug: String,
    pub name: String,
}

/// An author as an article lists them.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AuthorLink {
    pub slug: String,
    pub name: String,
    pub avatar_url: Option<String>,
}

/// An article as read: the head, and the expensive parts when asked for.
#[derive(Debug, Clone)]
pub struct ArticleRecord {
    pub head: ArticleHead,
    pub body_markdown: Option<String>,
    pub body_html: Option<String>,
    pub toc: Option<Value>,
    /// In order; empty unless asked for.
    pub tags: Vec<TagLink>,
    /// In order; empty unless asked for.
    pub authors: Vec<AuthorLink>,
    /// The full-text rank, when sorting by relevance.
    pub rank: Option<f32>,
    /// Where a search matched, in a search's results.
    pub highlight: Option<Highlight>,
}

/// `ArticleHead`'s columns as SQL, for hand-written reads (a unit test holds it to the struct).
pub(super) const HEAD_COLUMNS: &str = "articles.id, articles.slug, articles.title, articles.summary, \
    articles.summary_derived, articles.status, articles.featured, articles.published_at, articles.created_at, \
    articles.updated_at, articles.version, articles.word_count, articles.reading_time_minutes, \
    articles.cover_image, articles.seo";

/// A card as a hand-written listing read loads it: the head, the optional columns (NULL unless asked for), and
/// the rank when sorting by relevance.
#[derive(QueryableByName)]
pub(super) struct Card {
    #[diesel(embed)]
    pub head: ArticleHead,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub body_markdown: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub body_html: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    pub toc: Option<Value>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Float4>)]
    pub rank: Option<f32>,
}

impl From<Card> for ArticleRecord {
    fn from(card: Card) -> ArticleRecord {
        ArticleRecord {
            rank: card.rank,
            ..ArticleRecord::from_row((card.head, card.body_markdown, card.body_html, card.toc))
        }
    }
}

/// The row a read loads: the head, then the optional columns (NULL unless asked for).
pub(super) type Row = (ArticleHead, Option<String>, Option<String>, Option<Value>);

impl ArticleRecord {
    pub(super) fn from_row((head, body_markdown, body_html, toc): Row) -> Self {
        ArticleRecord {
            head,
            body_markdown,
            body_html,
            toc,
            tags: Vec::new(),
            authors: Vec::new(),
            rank: None,
            highlight: None,
        }
    }
}

/// A neighbour in the public timeline.
#[derive(Debug, Clone, Queryable)]
pub struct Neighbour {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// What a write stores in the article's own row; also read back (locked) to tell an identical write.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true, check_for_backend(diesel::pg::Pg))]
pub(super) struct Content {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub summary_derived: bool,
    pub body_markdown: String,
    pub body_html: String,
    pub body_text: String,
    pub toc: Value,
    pub word_count: i32,
    pub reading_time_minutes: i32,
    pub status: String,
    pub featured: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub cover_image: Option<Value>,
    pub seo: Value,
}

impl Content {
    /// The row for `w`, published at `published_at` (already settled by the caller).
    pub fn of(w: &ArticleWrite, published_at: Option<DateTime<Utc>>) -> Content {
        Content {
            slug: w.slug.clone(),
            title: w.title.clone(),
            summary: w.stored_summary().to_owned(),
            summary_derived: w.summary.is_none(),
            body_markdown: w.body_markdown.clone(),
            body_html: w.body_html.clone(),
            body_text: w.body_text.clone(),
            toc: w.toc_json(),
            word_count: w.word_count,
            reading_time_minutes: w.reading_time_minutes,
            status: w.status.as_str().to_owned(),
            featured: w.featured,
            published_at,
            cover_image: w.cover_image_json(),
            seo: w.seo_json(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_columns_are_the_head_struct_columns() {
        let generated = diesel::debug_query::<diesel::pg::Pg, _>(
            &articles::table.select(ArticleHead::as_select()),
        )
        .to_string();
        let listed: Vec<String> = HEAD_COLUMNS
            .split(',')
            .map(|c| {
                let (table, column) = c.trim().split_once('.').unwrap_or_default();
                format!("\"{table}\".\"{column}\"")
            })
            .collect();
        assert!(
            generated.starts_with(&format!("SELECT {} FROM", listed.join(", "))),
            "{generated}"
        );
    }
}
