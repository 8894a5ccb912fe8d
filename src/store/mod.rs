//! Diesel queries per resource: rows in, rows out. No HTTP types here. What "public" means is decided once, in
//! `domain::article::Visibility`; `articles::visibility` is its one SQL translation, used by every query.
//!
//! Indexes (see migrations/) and what each serves:
//! - `articles_public_published_at_idx` (partial, `status = 'published'`): the public listing by
//!   `(published_at, id)`, its keyset cursors, newer/older neighbours, and the public counts.
//! - `articles_featured_published_at_idx`: the featured strip.
//! - `article_tags_timeline_idx`, `article_authors_timeline_idx` (links by `listed_at`): public tag and author
//!   pages, their cursors, `tag_all`, related articles and the scheduled part of their counts.
//! - `article_tags_tag_id_idx`, `article_authors_author_id_idx`: tag and author filters of other views, and probes.
//! - `articles_search_idx` (GIN over the `search` tsvector that a trigger derives): `q`.
//! - `articles_any_timeline_idx`, `articles_draft_timeline_idx`: token listings of every status or of drafts by
//!   time (`COALESCE(published_at, created_at)`).
//! - `articles_updated_at_idx`, `articles_title_idx`: the other sorts.

pub mod articles;
pub mod authors;
pub mod changes;
pub mod document;
pub mod media;
pub mod pages;
pub mod resource;
pub mod site;
pub mod sitemap;
mod sql;
pub mod tags;
pub mod tokens;
pub mod webhooks;

use crate::db::DbError;

/// A page of rows plus the total number of rows matching the same filters.
#[derive(Debug)]
pub struct Counted<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// What a write did; each carries the row as it now is.
#[derive(Debug)]
pub enum Outcome<T> {
    Created(T),
    Updated(T),
    Unchanged(T),
}

impl<T> Outcome<T> {
    pub fn created(&self) -> bool {
        matches!(self, Outcome::Created(_))
    }

    pub fn into_inner(self) -> T {
        match self {
            Outcome::Created(t) | Outcome::Updated(t) | Outcome::Unchanged(t) => t,
        }
    }
}

/// Why a store call did not do what was asked: the one error type of this layer, mapped to problems in one place
/// (`api::problem`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("slug `{0}` is taken")]
    SlugTaken(String),
    /// `If-Match` did not accept the current version, or `If-None-Match: *` met an existing row.
    #[error("precondition failed")]
    PreconditionFailed,
    /// `(position in the list, slug)` of each author that does not exist.
    #[error("unknown authors")]
    UnknownAuthors(Vec<(usize, String)>),
    /// The row is still referenced by articles.
    #[error("still used by articles")]
    InUse,
    /// A cursor whose key does not parse for its sort.
    #[error("bad cursor")]
    BadCursor,
    /// A change-feed position whose entries were pruned: the reader must resync.
    #[error("changes after {since} were pruned up to {floor}")]
    ChangesExpired { since: i64, floor: i64 },
    /// The webhook endpoint is disabled.
    #[error("disabled")]
    Disabled,
    /// A change-feed position no change has reached.
    #[error("position {since} is beyond the last change, {last}")]
    ChangesAhead { since: i64, last: i64 },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Conn(#[from] DbError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs store calls on the blocking pool with a pooled connection; any error the closure returns that converts
/// into `Error` (diesel's included) comes back as one.
pub async fn run<T, E, F>(pool: &crate::db::Pool, f: F) -> Result<T>
where
    F: FnOnce(&mut diesel::PgConnection) -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    Error: From<E>,
{
    crate::db::run_into(pool, f).await
}

/// Whether a transaction failed because PostgreSQL broke a deadlock by aborting it (SQLSTATE 40P01): the
/// transaction did nothing and may simply run again.
pub(crate) fn is_deadlock(e: &Error) -> bool {
    matches!(e, Error::Db(diesel::result::Error::DatabaseError(_, info)) if info.message().contains("deadlock detected"))
}

/// Runs `tx` (one whole transaction) again when PostgreSQL aborted it to break a deadlock, up to three times.
/// Writes take their locks in one order, so this is a safety net, not the design.
pub(crate) fn retry_deadlocks<T, E>(
    mut tx: impl FnMut() -> std::result::Result<T, E>,
) -> std::result::Result<T, E>
where
    E: AsDeadlock,
{
    let mut attempt = 0;
    loop {
        match tx() {
            Err(e) if attempt < 2 && e.is_deadlock() => attempt += 1,
            other => return other,
        }
    }
}

/// Errors that can say they were a broken deadlock.
pub trait AsDeadlock {
    fn is_deadlock(&self) -> bool;
}

impl AsDeadlock for Error {
    fn is_deadlock(&self) -> bool {
        is_deadlock(self)
    }
}

/// A unique violation as `SlugTaken(slug)`, anything else as it is.
pub(crate) fn slug_conflict(e: diesel::result::Error, slug: &str) -> Error {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => Error::SlugTaken(slug.to_owned()),
        other => Error::Db(other),
    }
}

/// Takes the lock every change of the stored counters takes (see migration `counters_and_link_timeline`), until
/// the transaction ends. A write transaction that may move counters takes it first, before any row lock, so that
/// it never waits for it while holding a lock another counter writer needs.
pub(crate) fn lock_counts(conn: &mut diesel::PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT folio_lock_counts()")
        .execute(conn)
        .map(|_| ())
}

/// Secrets shared by every instance on the database, created by the migrations.
pub mod secrets {
    use diesel::prelude::*;

    use crate::db::schema::instance_secrets;

    /// The key that signs pagination cursors.
    pub fn cursor(conn: &mut PgConnection) -> QueryResult<Vec<u8>> {
        instance_secrets::table
            .find("cursor")
            .select(instance_secrets::value)
            .first(conn)
    }
}
