//! Pages: their own table (so no article query can ever meet one), written by the article write rules through
//! the write path every document shares (`store::document`), read by slug with redirects from former slugs,
//! listed by title.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use serde_json::Value;
use uuid::Uuid;

use super::articles::visibility;
use super::document::{self, Document, Locked, Precondition};
use super::{Counted, Error, Result};
use crate::db::schema::{page_slug_history, pages};
use crate::domain::article::{ArticleWrite, Status, Visibility};

/// A page as stored (all but the derived plain text).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = pages, check_for_backend(diesel::pg::Pg))]
pub struct PageRecord {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub summary_derived: bool,
    pub body_markdown: String,
    pub body_html: String,
    pub toc: Value,
    pub word_count: i32,
    pub reading_time_minutes: i32,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub cover_image: Option<Value>,
    pub seo: Value,
}

impl PageRecord {
    pub fn status(&self) -> Status {
        Status::from_stored(&self.status)
    }
}

/// What a write stores; read back (locked) to tell an identical write.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = pages, treat_none_as_null = true, check_for_backend(diesel::pg::Pg))]
pub struct PageContent {
    slug: String,
    title: String,
    summary: String,
    summary_derived: bool,
    body_markdown: String,
    body_html: String,
    body_text: String,
    toc: Value,
    word_count: i32,
    reading_time_minutes: i32,
    status: String,
    published_at: Option<DateTime<Utc>>,
    cover_image: Option<Value>,
    seo: Value,
}

impl PageContent {
    fn of(w: &ArticleWrite, published_at: Option<DateTime<Utc>>) -> PageContent {
        PageContent {
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
            published_at,
            cover_image: w.cover_image_json(),
            seo: w.seo_json(),
        }
    }
}

/// The pages `visibility` admits: the article predicate, said of `pages`.
fn visible(visibility: Visibility) -> diesel::expression::SqlLiteral<Bool> {
    sql::<Bool>(&visibility::predicate_of(visibility, "pages"))
}

/// One page by slug, if `visibility` admits it.
pub fn get(
    conn: &mut PgConnection,
    visibility: Visibility,
    slug: &str,
) -> QueryResult<Option<PageRecord>> {
    pages::table
        .filter(pages::slug.eq(slug))
        .filter(visible(visibility))
        .select(PageRecord::as_select())
        .first(conn)
        .optional()
}

/// The pages with these ids that `visibility` admits (the change feed's objects).
pub fn by_ids(
    conn: &mut PgConnection,
    visibility: Visibility,
    ids: &[Uuid],
) -> QueryResult<Vec<PageRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    pages::table
        .filter(pages::id.eq_any(ids))
        .filter(visible(visibility))
        .select(PageRecord::as_select())
        .load(conn)
}

/// The current slug of the page that once had `old_slug`, if `visibility` admits it.
pub fn renamed_to(
    conn: &mut PgConnection,
    visibility: Visibility,
    old_slug: &str,
) -> QueryResult<Option<String>> {
    pages::table
        .inner_join(page_slug_history::table)
        .filter(page_slug_history::slug.eq(old_slug))
        .filter(visible(visibility))
        .select(pages::slug)
        .first(conn)
        .optional()
}

/// A page of the pages `visibility` admits, by title, with their number.
pub fn list(
    conn: &mut PgConnection,
    visibility: Visibility,
    page: i64,
    per_page: i64,
) -> QueryResult<Counted<PageRecord>> {
    let rows = pages::table
        .filter(visible(visibility))
        .select(PageRecord::as_select())
        .order_by((pages::title.asc(), pages::id.asc()))
        .offset((page - 1).saturating_mul(per_page))
        .limit(per_page)
        .load(conn)?;
    let total = pages::table
        .filter(visible(visibility))
        .count()
        .get_result(conn)?;
    Ok(Counted { rows, total })
}

pub type Outcome = super::Outcome<PageRecord>;

/// The `pages` table as a kind of document: the article write path, without links.
pub struct Pages;

impl Document for Pages {
    type Content = PageContent;
    type Links = ();
    type Record = PageRecord;

    fn content(w: &ArticleWrite, published_at: Option<DateTime<Utc>>) -> PageContent {
        PageContent::of(w, published_at)
    }

    fn published_at(content: &PageContent) -> Option<DateTime<Utc>> {
        content.published_at
    }

    fn slug(content: &PageContent) -> &str {
        &content.slug
    }

    fn lock(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<Locked<PageContent>>> {
        pages::table
            .filter(pages::slug.eq(slug))
            .select((pages::id, pages::version, PageContent::as_select()))
            .for_update()
            .first::<(Uuid, i64, PageContent)>(conn)
            .optional()
            .map(|row| {
                row.map(|(id, version, content)| Locked {
                    id,
                    version,
                    content,
                })
            })
    }

    fn insert(conn: &mut PgConnection, content: &PageContent) -> QueryResult<Option<Uuid>> {
        diesel::insert_into(pages::table)
            .values(content)
            .on_conflict(pages::slug)
            .do_nothing()
            .returning(pages::id)
            .get_result(conn)
            .optional()
    }

    fn update(conn: &mut PgConnection, id: Uuid, content: &PageContent) -> QueryResult<usize> {
        diesel::update(pages::table.find(id))
            .set((
                content,
                pages::version.eq(pages::version + 1),
                pages::updated_at.eq(sql::<Timestamptz>("now()")),
            ))
            .execute(conn)
    }

    fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
        diesel::delete(pages::table.find(id)).execute(conn)
    }

    fn forget_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<()> {
        diesel::delete(page_slug_history::table.filter(page_slug_history::slug.eq(slug)))
            .execute(conn)
            .map(|_| ())
    }

    fn remember_slug(conn: &mut PgConnection, old: &str, id: Uuid) -> QueryResult<()> {
        diesel::insert_into(page_slug_history::table)
            .values((
                page_slug_history::slug.eq(old),
                page_slug_history::page_id.eq(id),
            ))
            .on_conflict(page_slug_history::slug)
            .do_update()
            .set(page_slug_history::page_id.eq(id))
            .execute(conn)
            .map(|_| ())
    }

    fn reload(conn: &mut PgConnection, id: Uuid) -> Result<PageRecord> {
        pages::table
            .find(id)
            .select(PageRecord::as_select())
            .first(conn)
            .optional()?
            .ok_or(Error::NotFound)
    }

    fn resolve(_: &mut PgConnection, _: &ArticleWrite) -> Result<()> {
        Ok(())
    }

    fn links(_: &mut PgConnection, _: Uuid) -> QueryResult<()> {
        Ok(())
    }

    fn set_links(_: &mut PgConnection, _: Uuid, _: &()) -> Result<()> {
        Ok(())
    }

    fn set_media(conn: &mut PgConnection, id: Uuid, hashes: &[String]) -> QueryResult<()> {
        crate::store::media::set_page_media(conn, id, hashes)
    }
}

/// `POST`: a new page; its slug must be free.
pub fn create(conn: &mut PgConnection, w: &ArticleWrite) -> Result<PageRecord> {
    document::create::<Pages>(conn, w)
}

/// `PUT`: creates the page at `w.slug` or replaces it; identical content writes nothing.
pub fn put(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    precondition: &Precondition,
) -> Result<Outcome> {
    document::put::<Pages>(conn, w, precondition)
}

/// `PATCH`: see `document::update_with`.
pub fn update_with<E>(
    conn: &mut PgConnection,
    slug: &str,
    precondition: &Precondition,
    merge: impl FnOnce(&PageRecord) -> std::result::Result<ArticleWrite, E>,
) -> std::result::Result<Outcome, E>
where
    E: From<Error> + From<diesel::result::Error>,
{
    document::update_with::<Pages, E>(conn, slug, precondition, merge)
}

/// `DELETE`.
pub fn delete(conn: &mut PgConnection, slug: &str, precondition: &Precondition) -> Result<()> {
    document::delete::<Pages>(conn, slug, precondition)
}
