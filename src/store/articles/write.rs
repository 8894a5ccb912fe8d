//! The write path: create, idempotent replace, merge-patch (rename included) and delete, each one transaction.
//! Locks are taken in one order everywhere (the counters' lock, the article row, then tags), so concurrent writers
//! cannot deadlock.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use uuid::Uuid;

use super::links::{linked_ids, resolve_authors, resolve_tags, set_links};
use super::read;
use super::row::{ArticleRecord, Content};
use crate::db::schema::{article_slug_history, articles};
use crate::domain::article::{ArticleWrite, Status, Visibility};
use crate::store::{lock_counts, retry_deadlocks, slug_conflict, Error, Result};

/// A condition the caller's request put on the current state of the article.
pub enum Precondition {
    None,
    /// `If-Match`: the article must exist and the check must accept its id and version.
    Matches(Box<dyn Fn(Uuid, i64) -> bool + Send>),
    /// `If-None-Match: *`: the slug must be free.
    Absent,
}

/// What an article write did.
pub type Outcome = crate::store::Outcome<ArticleRecord>;

/// The locked row a write starts from.
#[derive(Debug)]
struct Current {
    id: Uuid,
    version: i64,
    content: Content,
}

fn lock_current(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<Current>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .select((articles::id, articles::version, Content::as_select()))
        .for_update()
        .first::<(Uuid, i64, Content)>(conn)
        .optional()
        .map(|row| {
            row.map(|(id, version, content)| Current {
                id,
                version,
                content,
            })
        })
}

/// Whether `precondition` accepts the current row's `(id, version)` (`None`: no row at the slug). Pages share it.
pub(crate) fn check(precondition: &Precondition, current: Option<(Uuid, i64)>) -> Result<()> {
    match (precondition, current) {
        (Precondition::None, _) => Ok(()),
        (Precondition::Absent, None) => Ok(()),
        (Precondition::Matches(accepts), Some((id, version))) if accepts(id, version) => Ok(()),
        _ => Err(Error::PreconditionFailed),
    }
}

fn db_now(conn: &mut PgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::select(sql::<Timestamptz>("now()")).get_result(conn)
}

/// Publishing without a date sets it to now; later edits keep the date they had. Pages share it.
pub(crate) fn settle_published_at(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    current: Option<DateTime<Utc>>,
) -> QueryResult<Option<DateTime<Utc>>> {
    match w.published_at.or(current) {
        None if w.status == Status::Published => Ok(Some(db_now(conn)?)),
        at => Ok(at),
    }
}

fn reload(conn: &mut PgConnection, id: Uuid) -> Result<ArticleRecord> {
    read::find(conn, Visibility::Any, read::Key::Id(id))?.ok_or(Error::NotFound)
}

/// Inserts the article unless its slug is taken (`None`), then its links.
fn insert(conn: &mut PgConnection, w: &ArticleWrite) -> Result<Option<Uuid>> {
    let author_ids = resolve_authors(conn, &w.authors)?;
    // Tags first, so the change log has a new tag before the article that uses it.
    let tag_ids = resolve_tags(conn, &w.tags)?;
    let published_at = settle_published_at(conn, w, None)?;
    let id: Option<Uuid> = diesel::insert_into(articles::table)
        .values(Content::of(w, published_at))
        .on_conflict(articles::slug)
        .do_nothing()
        .returning(articles::id)
        .get_result(conn)
        .optional()?;
    if let Some(id) = id {
        set_links(conn, id, &tag_ids, &author_ids)?;
        forget_old_slug(conn, &w.slug)?;
    }
    Ok(id)
}

/// A current slug always wins over an old one: a slug taken now no longer redirects elsewhere.
fn forget_old_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<()> {
    diesel::delete(article_slug_history::table.filter(article_slug_history::slug.eq(slug)))
        .execute(conn)?;
    Ok(())
}

/// Writes `w` over the locked row; identical content (links included) writes nothing.
fn apply(conn: &mut PgConnection, cur: Current, w: &ArticleWrite) -> Result<Outcome> {
    let author_ids = resolve_authors(conn, &w.authors)?;
    let tag_ids = resolve_tags(conn, &w.tags)?;
    let content = Content::of(w, settle_published_at(conn, w, cur.content.published_at)?);
    let (cur_tags, cur_authors) = linked_ids(conn, cur.id)?;
    let links_unchanged = cur_tags == tag_ids && cur_authors == author_ids;
    if links_unchanged && cur.content == content {
        return Ok(Outcome::Unchanged(reload(conn, cur.id)?));
    }
    let renamed = cur.content.slug != content.slug;
    diesel::update(articles::table.find(cur.id))
        .set((
            &content,
            articles::version.eq(articles::version + 1),
            articles::updated_at.eq(sql::<Timestamptz>("now()")),
        ))
        .execute(conn)
        .map_err(|e| slug_conflict(e, &w.slug))?;
    if !links_unchanged {
        set_links(conn, cur.id, &tag_ids, &author_ids)?;
    }
    if renamed {
        forget_old_slug(conn, &w.slug)?;
        diesel::insert_into(article_slug_history::table)
            .values((
                article_slug_history::slug.eq(&cur.content.slug),
                article_slug_history::article_id.eq(cur.id),
            ))
            .on_conflict(article_slug_history::slug)
            .do_update()
            .set(article_slug_history::article_id.eq(cur.id))
            .execute(conn)?;
    }
    Ok(Outcome::Updated(reload(conn, cur.id)?))
}

/// `POST`: a new article; its slug must be free.
pub fn create(conn: &mut PgConnection, w: &ArticleWrite) -> Result<ArticleRecord> {
    retry_deadlocks(|| {
        conn.transaction(|conn| {
            lock_counts(conn)?;
            match insert(conn, w)? {
                Some(id) => reload(conn, id),
                None => Err(Error::SlugTaken(w.slug.clone())),
            }
        })
    })
}

/// `PUT`: creates the article at `w.slug`, or replaces it. Replacing with identical content writes nothing.
pub fn put(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    precondition: &Precondition,
) -> Result<Outcome> {
    retry_deadlocks(|| {
        conn.transaction(|conn| {
            lock_counts(conn)?;
            put_once(conn, w, precondition)
        })
    })
}

fn put_once(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    precondition: &Precondition,
) -> Result<Outcome> {
    // Two rounds at most: a writer that loses the race to create the slug replaces the winner's article.
    for _ in 0..2 {
        let current = lock_current(conn, &w.slug)?;
        check(precondition, current.as_ref().map(|c| (c.id, c.version)))?;
        match current {
            Some(cur) => return apply(conn, cur, w),
            None => {
                if let Some(id) = insert(conn, w)? {
                    return Ok(Outcome::Created(reload(conn, id)?));
                }
            }
        }
    }
    Err(Error::PreconditionFailed)
}

/// `PATCH`: one transaction that locks the article now at `slug`, checks the precondition, builds the new write
/// from the current article with `merge` (the caller's patch and write rules), and applies it, possibly renaming
/// the article. No other writer can slip in between the read and the write.
pub fn update_with<E>(
    conn: &mut PgConnection,
    slug: &str,
    precondition: &Precondition,
    merge: impl FnOnce(&ArticleRecord) -> std::result::Result<ArticleWrite, E>,
) -> std::result::Result<Outcome, E>
where
    E: From<Error> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        lock_counts(conn)?;
        let current = lock_current(conn, slug)?.ok_or(Error::NotFound)?;
        check(precondition, Some((current.id, current.version)))?;
        let record = reload(conn, current.id)?;
        let write = merge(&record)?;
        Ok(apply(conn, current, &write)?)
    })
}

/// `DELETE`.
pub fn delete(conn: &mut PgConnection, slug: &str, precondition: &Precondition) -> Result<()> {
    conn.transaction(|conn| {
        lock_counts(conn)?;
        let current = lock_current(conn, slug)?.ok_or(Error::NotFound)?;
        check(precondition, Some((current.id, current.version)))?;
        diesel::delete(articles::table.find(current.id)).execute(conn)?;
        Ok(())
    })
}
