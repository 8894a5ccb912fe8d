//! The write path every document shares (an article, a page): create, idempotent replace, merge-patch (rename
//! included) and delete, each one transaction. Locks are taken in one order everywhere (the counters' lock, the
//! document's row, then what it links to), so concurrent writers cannot deadlock. A kind of document brings the
//! statements of its tables (`Document`); the rules of a write (`ArticleWrite`) are the same for all.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use uuid::Uuid;

use super::{lock_counts, retry_deadlocks, slug_conflict, Error, Outcome, Result};
use crate::domain::article::{ArticleWrite, Status};

/// A condition the caller's request put on the current state of the document.
pub enum Precondition {
    None,
    /// `If-Match`: the document must exist and the check must accept its id and version.
    Matches(Box<dyn Fn(Uuid, i64) -> bool + Send>),
    /// `If-None-Match: *`: the slug must be free.
    Absent,
}

/// The locked row a write starts from: its id, version and stored content.
pub struct Locked<C> {
    pub id: Uuid,
    pub version: i64,
    pub content: C,
}

/// What a kind of document stores and how: its tables' statements. Every rule lives in the functions below.
pub trait Document {
    /// What a write stores in the document's own row; read back (locked) to tell an identical write.
    type Content: PartialEq;
    /// What it links to (an article's tags and authors; nothing for a page), as a write resolves it.
    type Links: PartialEq;
    /// The document as a write answers it.
    type Record;

    /// The row for `w`, published at `published_at` (settled by the caller).
    fn content(w: &ArticleWrite, published_at: Option<DateTime<Utc>>) -> Self::Content;
    fn published_at(content: &Self::Content) -> Option<DateTime<Utc>>;
    fn slug(content: &Self::Content) -> &str;
    /// The document at `slug`, its row locked until the transaction ends.
    fn lock(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<Locked<Self::Content>>>;
    /// Inserts the row unless its slug is taken (`None`).
    fn insert(conn: &mut PgConnection, content: &Self::Content) -> QueryResult<Option<Uuid>>;
    /// Writes `content` over the row, a version up, `updated_at` now.
    fn update(conn: &mut PgConnection, id: Uuid, content: &Self::Content) -> QueryResult<usize>;
    fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize>;
    /// Drops `slug` from the former slugs (a current slug always wins over an old one).
    fn forget_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<()>;
    /// Makes `old` a former slug of the document `id`: it redirects there.
    fn remember_slug(conn: &mut PgConnection, old: &str, id: Uuid) -> QueryResult<()>;
    fn reload(conn: &mut PgConnection, id: Uuid) -> Result<Self::Record>;
    /// What `w` links to, found (or created) before the document is written.
    fn resolve(conn: &mut PgConnection, w: &ArticleWrite) -> Result<Self::Links>;
    /// What the document `id` links to now.
    fn links(conn: &mut PgConnection, id: Uuid) -> QueryResult<Self::Links>;
    fn set_links(conn: &mut PgConnection, id: Uuid, links: &Self::Links) -> Result<()>;
    /// Records which uploaded files (by hash) the document `id` mentions now.
    fn set_media(conn: &mut PgConnection, id: Uuid, hashes: &[String]) -> QueryResult<()>;
}

/// `w` with the uploaded images it shows sized (`body_html`), when it shows any that exist.
fn with_images<'w>(
    conn: &mut PgConnection,
    w: &'w ArticleWrite,
) -> Result<std::borrow::Cow<'w, ArticleWrite>> {
    if w.media.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(w));
    }
    let images = super::media::images(conn, &w.media)?;
    if images.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(w));
    }
    let mut shown = w.clone();
    shown.show_images(&images);
    Ok(std::borrow::Cow::Owned(shown))
}

/// Whether `precondition` accepts the current row's `(id, version)` (`None`: no row at the slug).
fn check(precondition: &Precondition, current: Option<(Uuid, i64)>) -> Result<()> {
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

/// Publishing without a date sets it to now; later edits keep the date they had.
fn settle_published_at(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    current: Option<DateTime<Utc>>,
) -> QueryResult<Option<DateTime<Utc>>> {
    match w.published_at.or(current) {
        None if w.status == Status::Published => Ok(Some(db_now(conn)?)),
        at => Ok(at),
    }
}

/// Inserts the document unless its slug is taken (`None`), then its links.
fn insert<D: Document>(conn: &mut PgConnection, w: &ArticleWrite) -> Result<Option<Uuid>> {
    let w = &*with_images(conn, w)?;
    // Links first, so the change log has a new tag before the article that uses it.
    let links = D::resolve(conn, w)?;
    let published_at = settle_published_at(conn, w, None)?;
    let Some(id) = D::insert(conn, &D::content(w, published_at))? else {
        return Ok(None);
    };
    D::set_links(conn, id, &links)?;
    D::set_media(conn, id, &w.media)?;
    D::forget_slug(conn, &w.slug)?;
    Ok(Some(id))
}

/// Writes `w` over the locked row; identical content (links included) writes nothing.
fn apply<D: Document>(
    conn: &mut PgConnection,
    current: Locked<D::Content>,
    w: &ArticleWrite,
) -> Result<Outcome<D::Record>> {
    let w = &*with_images(conn, w)?;
    let links = D::resolve(conn, w)?;
    let published_at = settle_published_at(conn, w, D::published_at(&current.content))?;
    let content = D::content(w, published_at);
    let links_unchanged = D::links(conn, current.id)? == links;
    if links_unchanged && content == current.content {
        return Ok(Outcome::Unchanged(D::reload(conn, current.id)?));
    }
    D::update(conn, current.id, &content).map_err(|e| slug_conflict(e, &w.slug))?;
    if !links_unchanged {
        D::set_links(conn, current.id, &links)?;
    }
    D::set_media(conn, current.id, &w.media)?;
    let old = D::slug(&current.content);
    if old != D::slug(&content) {
        D::forget_slug(conn, &w.slug)?;
        D::remember_slug(conn, old, current.id)?;
    }
    Ok(Outcome::Updated(D::reload(conn, current.id)?))
}

/// `POST`: a new document; its slug must be free.
pub fn create<D: Document>(conn: &mut PgConnection, w: &ArticleWrite) -> Result<D::Record> {
    retry_deadlocks(|| {
        conn.transaction(|conn| {
            lock_counts(conn)?;
            match insert::<D>(conn, w)? {
                Some(id) => D::reload(conn, id),
                None => Err(Error::SlugTaken(w.slug.clone())),
            }
        })
    })
}

/// `PUT`: creates the document at `w.slug`, or replaces it. Replacing with identical content writes nothing.
pub fn put<D: Document>(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    precondition: &Precondition,
) -> Result<Outcome<D::Record>> {
    retry_deadlocks(|| {
        conn.transaction(|conn| {
            lock_counts(conn)?;
            // Two rounds at most: a writer that loses the race to create the slug replaces the winner's document.
            for _ in 0..2 {
                let current = D::lock(conn, &w.slug)?;
                check(precondition, current.as_ref().map(|c| (c.id, c.version)))?;
                match current {
                    Some(current) => return apply::<D>(conn, current, w),
                    None => {
                        if let Some(id) = insert::<D>(conn, w)? {
                            return Ok(Outcome::Created(D::reload(conn, id)?));
                        }
                    }
                }
            }
            Err(Error::PreconditionFailed)
        })
    })
}

/// `PATCH`: one transaction that locks the document now at `slug`, checks the precondition, builds the new write
/// from the current document with `merge` (the caller's patch and write rules), and applies it, possibly renaming
/// it. No other writer can slip in between the read and the write.
pub fn update_with<D: Document, E>(
    conn: &mut PgConnection,
    slug: &str,
    precondition: &Precondition,
    merge: impl FnOnce(&D::Record) -> std::result::Result<ArticleWrite, E>,
) -> std::result::Result<Outcome<D::Record>, E>
where
    E: From<Error> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        lock_counts(conn)?;
        let current = D::lock(conn, slug)?.ok_or(Error::NotFound)?;
        check(precondition, Some((current.id, current.version)))?;
        let record = D::reload(conn, current.id)?;
        let write = merge(&record)?;
        Ok(apply::<D>(conn, current, &write)?)
    })
}

/// `DELETE`.
pub fn delete<D: Document>(
    conn: &mut PgConnection,
    slug: &str,
    precondition: &Precondition,
) -> Result<()> {
    conn.transaction(|conn| {
        lock_counts(conn)?;
        let current = D::lock(conn, slug)?.ok_or(Error::NotFound)?;
        check(precondition, Some((current.id, current.version)))?;
        D::delete(conn, current.id)?;
        Ok(())
    })
}
