//! Articles as documents: the statements of the shared write path (`store::document`) for the `articles` table,
//! its former slugs, and its links to tags and authors.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use uuid::Uuid;

use super::links::{linked_ids, resolve_authors, resolve_tags, set_links};
use super::read;
use super::row::{ArticleRecord, Content};
use crate::db::schema::{article_slug_history, articles};
use crate::domain::article::{ArticleWrite, Visibility};
pub use crate::store::document::Precondition;
use crate::store::document::{self, Document, Locked};
use crate::store::{Error, Result};

/// What an article write did.
pub type Outcome = crate::store::Outcome<ArticleRecord>;

/// The `articles` table as a kind of document.
pub(super) struct Articles;

impl Document for Articles {
    type Content = Content;
    /// Tag ids and author ids, in order.
    type Links = (Vec<Uuid>, Vec<Uuid>);
    type Record = ArticleRecord;

    fn content(w: &ArticleWrite, published_at: Option<DateTime<Utc>>) -> Content {
        Content::of(w, published_at)
    }

    fn published_at(content: &Content) -> Option<DateTime<Utc>> {
        content.published_at
    }

    fn slug(content: &Content) -> &str {
        &content.slug
    }

    fn lock(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<Locked<Content>>> {
        articles::table
            .filter(articles::slug.eq(slug))
            .select((articles::id, articles::version, Content::as_select()))
            .for_update()
            .first::<(Uuid, i64, Content)>(conn)
            .optional()
            .map(|row| {
                row.map(|(id, version, content)| Locked {
                    id,
                    version,
                    content,
                })
            })
    }

    fn insert(conn: &mut PgConnection, content: &Content) -> QueryResult<Option<Uuid>> {
        diesel::insert_into(articles::table)
            .values(content)
            .on_conflict(articles::slug)
            .do_nothing()
            .returning(articles::id)
            .get_result(conn)
            .optional()
    }

    fn update(conn: &mut PgConnection, id: Uuid, content: &Content) -> QueryResult<usize> {
        diesel::update(articles::table.find(id))
            .set((
                content,
                articles::version.eq(articles::version + 1),
                articles::updated_at.eq(sql::<Timestamptz>("now()")),
            ))
            .execute(conn)
    }

    fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
        diesel::delete(articles::table.find(id)).execute(conn)
    }

    fn forget_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<()> {
        diesel::delete(article_slug_history::table.filter(article_slug_history::slug.eq(slug)))
            .execute(conn)
            .map(|_| ())
    }

    fn remember_slug(conn: &mut PgConnection, old: &str, id: Uuid) -> QueryResult<()> {
        diesel::insert_into(article_slug_history::table)
            .values((
                article_slug_history::slug.eq(old),
                article_slug_history::article_id.eq(id),
            ))
            .on_conflict(article_slug_history::slug)
            .do_update()
            .set(article_slug_history::article_id.eq(id))
            .execute(conn)
            .map(|_| ())
    }

    fn reload(conn: &mut PgConnection, id: Uuid) -> Result<ArticleRecord> {
        read::find(conn, Visibility::Any, read::Key::Id(id))?.ok_or(Error::NotFound)
    }

    fn resolve(conn: &mut PgConnection, w: &ArticleWrite) -> Result<Self::Links> {
        let author_ids = resolve_authors(conn, &w.authors)?;
        // Tags before the article, so the change log has a new tag before the article that uses it.
        let tag_ids = resolve_tags(conn, &w.tags)?;
        Ok((tag_ids, author_ids))
    }

    fn links(conn: &mut PgConnection, id: Uuid) -> QueryResult<Self::Links> {
        linked_ids(conn, id)
    }

    fn set_links(conn: &mut PgConnection, id: Uuid, (tags, authors): &Self::Links) -> Result<()> {
        Ok(set_links(conn, id, tags, authors)?)
    }

    fn set_media(conn: &mut PgConnection, id: Uuid, hashes: &[String]) -> QueryResult<()> {
        crate::store::media::set_article_media(conn, id, hashes)
    }
}

/// `POST`: a new article; its slug must be free.
pub fn create(conn: &mut PgConnection, w: &ArticleWrite) -> Result<ArticleRecord> {
    document::create::<Articles>(conn, w)
}

/// `PUT`: creates the article at `w.slug`, or replaces it. Replacing with identical content writes nothing.
pub fn put(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    precondition: &Precondition,
) -> Result<Outcome> {
    document::put::<Articles>(conn, w, precondition)
}

/// `PATCH`: see `document::update_with`.
pub fn update_with<E>(
    conn: &mut PgConnection,
    slug: &str,
    precondition: &Precondition,
    merge: impl FnOnce(&ArticleRecord) -> std::result::Result<ArticleWrite, E>,
) -> std::result::Result<Outcome, E>
where
    E: From<Error> + From<diesel::result::Error>,
{
    document::update_with::<Articles, E>(conn, slug, precondition, merge)
}

/// `DELETE`.
pub fn delete(conn: &mut PgConnection, slug: &str, precondition: &Precondition) -> Result<()> {
    document::delete::<Articles>(conn, slug, precondition)
}
