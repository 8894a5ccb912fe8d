//! What sitemaps list: the public articles, pages, tags and authors, each walked in `(time, id)` order through an
//! index in bounded batches, so a sitemap of 50,000 URLs is read 5,000 rows at a time and never held whole.
//!
//! A sitemap beyond one file is cut into parts of at most `per_part` URLs by the keys where each part starts
//! (`starts`): one index-only pass over the kind's timeline, after which every part is read from its start key
//! by a range scan, flat whatever its place. Parts run oldest first, so the first parts stay the same as the blog
//! grows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use uuid::Uuid;

use super::articles::visibility;
use super::sql::Sql;
use crate::domain::article::Visibility;

/// The kinds of URL a sitemap lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pages,
    Tags,
    Authors,
    Articles,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Pages, Kind::Tags, Kind::Authors, Kind::Articles];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Pages => "pages",
            Kind::Tags => "tags",
            Kind::Authors => "authors",
            Kind::Articles => "articles",
        }
    }

    pub fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The table its rows are in.
    fn table(self) -> &'static str {
        match self {
            Kind::Pages => "pages",
            Kind::Tags => "tags",
            Kind::Authors => "authors",
            Kind::Articles => "articles",
        }
    }

    /// `FROM … WHERE …` of the public rows of this kind, and the time column of their order.
    fn source(self) -> (String, &'static str) {
        let public = |table: &str| visibility::predicate_of(Visibility::Public, table);
        match self {
            Kind::Articles => (
                format!("articles WHERE {}", public("articles")),
                "published_at",
            ),
            Kind::Pages => (format!("pages WHERE {}", public("pages")), "published_at"),
            Kind::Tags => (
                format!(
                    "tags WHERE {} > 0",
                    visibility::public_count("tags", "article_tags", "tag_id")
                ),
                "created_at",
            ),
            Kind::Authors => (
                format!(
                    "authors WHERE {} > 0",
                    visibility::public_count("authors", "article_authors", "author_id")
                ),
                "created_at",
            ),
        }
    }
}

/// Where a walk starts: a row's time and id.
pub type Key = (DateTime<Utc>, Uuid);

/// Where each part after the first starts, per kind that has URLs.
pub type Starts = Vec<(Kind, Vec<Key>)>;

/// One URL of a sitemap: the slug and publication time its permalink needs, and its last change.
#[derive(Debug, Clone, QueryableByName)]
pub struct Entry {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub lastmod: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
}

impl Entry {
    pub fn key(&self) -> Key {
        (self.at, self.id)
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many URLs of `kind` a sitemap lists. Articles come from the stored counters; the others are small.
pub fn count(conn: &mut PgConnection, kind: Kind) -> QueryResult<i64> {
    let text = match kind {
        Kind::Articles => format!(
            "SELECT c.published - (SELECT count(*) FROM articles WHERE {}) AS n FROM article_counts c",
            visibility::predicate(Visibility::Scheduled)
        ),
        other => format!("SELECT count(*) AS n FROM {}", other.source().0),
    };
    Sql::new(&text)
        .done()
        .get_result::<Count>(conn)
        .map(|c| c.n)
}

/// Up to `limit` URLs of `kind` from `from` (inclusive), in order.
pub fn batch(
    conn: &mut PgConnection,
    kind: Kind,
    from: Option<Key>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let (source, time) = kind.source();
    let table = kind.table();
    let mut sql = Sql::new(&format!(
        "SELECT {table}.slug, {table}.{time} AS at, {table}.updated_at AS lastmod, {table}.id FROM {source}"
    ));
    if let Some((at, id)) = from {
        sql.push(&format!(" AND ({table}.{time}, {table}.id) >= ("))
            .bind::<Timestamptz, _>(at)
            .push(", ")
            .bind::<diesel::sql_types::Uuid, _>(id)
            .push(")");
    }
    sql.push(&format!(" ORDER BY {table}.{time}, {table}.id LIMIT "))
        .bind::<BigInt, _>(limit)
        .done()
        .load(conn)
}

/// The key where each part after the first starts, parts holding `per_part` URLs of `kind`.
pub fn starts(conn: &mut PgConnection, kind: Kind, per_part: i64) -> QueryResult<Vec<Key>> {
    #[derive(QueryableByName)]
    struct Start {
        #[diesel(sql_type = Timestamptz)]
        at: DateTime<Utc>,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let (source, time) = kind.source();
    let table = kind.table();
    Sql::new(&format!(
        "SELECT at, id FROM (SELECT {table}.{time} AS at, {table}.id, \
             row_number() OVER (ORDER BY {table}.{time}, {table}.id) AS n FROM {source}) s \
         WHERE n > 1 AND n % "
    ))
    .bind::<BigInt, _>(per_part)
    .push(" = 1 ORDER BY at, id")
    .done()
    .load::<Start>(conn)
    .map(|rows| rows.into_iter().map(|s| (s.at, s.id)).collect())
}
