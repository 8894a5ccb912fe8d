//! What slug-addressed resources share (tags, authors, and the next of their kind): a record shape, the write
//! outcomes, and one implementation of create, idempotent replace, merge-patch, delete and the counted listing.
//! A resource brings its own row type (`SlugTable::Write`); `slug_table!` writes the diesel glue for its table.
//!
//! Every write transaction takes `lock_counts` first, before any row lock: it guards the counters (a tag delete
//! removes links) and orders the change log's positions (migration `change_log`), and taking it first means a
//! writer never waits for it while holding a row another writer needs.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

pub use super::Outcome;
use super::{Counted, Error, Result};

/// A stored resource: its id, the fields a write sets, its times, and its number of public articles.
#[derive(Debug, Clone)]
pub struct Record<W> {
    pub id: Uuid,
    pub content: W,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub article_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    ArticleCountDesc,
}

/// A page of a resource listing.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery {
    pub page: i64,
    pub per_page: i64,
    pub sort: Sort,
    /// Only rows with at least one public article.
    pub hide_empty: bool,
}

/// The diesel side of one slug-addressed table; implemented with `slug_table!`.
pub trait SlugTable {
    /// The columns a write sets (slug included).
    type Write: Clone + PartialEq + serde::Serialize + Send + 'static;
    fn slug(w: &Self::Write) -> &str;
    /// Inserts unless the slug is taken; true when it inserted.
    fn insert(conn: &mut PgConnection, w: &Self::Write) -> QueryResult<bool>;
    /// The row's current content, locked until the transaction ends.
    fn lock(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<Self::Write>>;
    /// Overwrites the row at `slug` (which may rename it) and touches `updated_at`.
    fn update(conn: &mut PgConnection, slug: &str, w: &Self::Write) -> QueryResult<usize>;
    fn get(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<Record<Self::Write>>>;
    /// The rows of `ids` that exist, in no particular order.
    fn by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<Record<Self::Write>>>;
    fn remove(conn: &mut PgConnection, slug: &str) -> QueryResult<usize>;
    fn list(conn: &mut PgConnection, q: ListQuery) -> QueryResult<Counted<Record<Self::Write>>>;
}

fn reload<T: SlugTable>(conn: &mut PgConnection, slug: &str) -> Result<Record<T::Write>> {
    T::get(conn, slug)?.ok_or(Error::NotFound)
}

/// Writes `w` over the row at `slug`; identical content writes nothing.
fn apply<T: SlugTable>(
    conn: &mut PgConnection,
    current: &T::Write,
    slug: &str,
    w: &T::Write,
) -> Result<Outcome<Record<T::Write>>> {
    if current == w {
        return Ok(Outcome::Unchanged(reload::<T>(conn, slug)?));
    }
    T::update(conn, slug, w).map_err(|e| super::slug_conflict(e, T::slug(w)))?;
    Ok(Outcome::Updated(reload::<T>(conn, T::slug(w))?))
}

pub fn get<T: SlugTable>(conn: &mut PgConnection, slug: &str) -> Result<Record<T::Write>> {
    reload::<T>(conn, slug)
}

pub fn list<T: SlugTable>(
    conn: &mut PgConnection,
    q: ListQuery,
) -> Result<Counted<Record<T::Write>>> {
    Ok(T::list(conn, q)?)
}

/// `POST`: a new row; its slug must be free.
pub fn create<T: SlugTable>(conn: &mut PgConnection, w: &T::Write) -> Result<Record<T::Write>> {
    conn.transaction(|conn| {
        super::lock_counts(conn)?;
        if T::insert(conn, w)? {
            reload::<T>(conn, T::slug(w))
        } else {
            Err(Error::SlugTaken(T::slug(w).to_owned()))
        }
    })
}

/// `PUT`: creates the row at `w`'s slug or replaces it.
pub fn put<T: SlugTable>(
    conn: &mut PgConnection,
    w: &T::Write,
) -> Result<Outcome<Record<T::Write>>> {
    conn.transaction(|conn| {
        super::lock_counts(conn)?;
        if T::insert(conn, w)? {
            return Ok(Outcome::Created(reload::<T>(conn, T::slug(w))?));
        }
        let current = T::lock(conn, T::slug(w))?.ok_or(Error::NotFound)?;
        apply::<T>(conn, &current, T::slug(w), w)
    })
}

/// `PATCH`: locks the row at `slug`, builds the new content from it with `merge`, and writes it (possibly
/// renaming the row), in one transaction.
pub fn update_with<T: SlugTable, E>(
    conn: &mut PgConnection,
    slug: &str,
    merge: impl FnOnce(&T::Write) -> std::result::Result<T::Write, E>,
) -> std::result::Result<Outcome<Record<T::Write>>, E>
where
    E: From<Error> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        super::lock_counts(conn)?;
        let current = T::lock(conn, slug)?.ok_or(Error::NotFound)?;
        let w = merge(&current)?;
        Ok(apply::<T>(conn, &current, slug, &w)?)
    })
}

/// `DELETE`: a row still referenced by articles through a restricting foreign key answers `InUse`.
pub fn delete<T: SlugTable>(conn: &mut PgConnection, slug: &str) -> Result<()> {
    let removed = conn.transaction(|conn| {
        super::lock_counts(conn)?;
        T::remove(conn, slug)
    });
    match removed {
        Ok(0) => Err(Error::NotFound),
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => Err(Error::InUse),
        Err(e) => Err(e.into()),
    }
}

/// Implements `SlugTable` for `$marker` over `$table`, whose rows link to articles through `$link.$fk`.
macro_rules! slug_table {
    ($marker:ident, $table:ident, $write:ty, $link:literal, $fk:literal) => {
        impl $crate::store::resource::SlugTable for $marker {
            type Write = $write;

            fn slug(w: &$write) -> &str {
                &w.slug
            }

            fn insert(conn: &mut PgConnection, w: &$write) -> QueryResult<bool> {
                diesel::insert_into($table::table)
                    .values(w)
                    .on_conflict($table::slug)
                    .do_nothing()
                    .execute(conn)
                    .map(|n| n == 1)
            }

            fn lock(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<$write>> {
                $table::table
                    .filter($table::slug.eq(slug))
                    .select(<$write>::as_select())
                    .for_update()
                    .first(conn)
                    .optional()
            }

            fn update(conn: &mut PgConnection, slug: &str, w: &$write) -> QueryResult<usize> {
                diesel::update($table::table.filter($table::slug.eq(slug)))
                    .set((
                        w,
                        $table::updated_at
                            .eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>("now()")),
                    ))
                    .execute(conn)
            }

            fn get(
                conn: &mut PgConnection,
                slug: &str,
            ) -> QueryResult<Option<$crate::store::resource::Record<$write>>> {
                let count = $crate::store::articles::visibility::public_count(
                    stringify!($table),
                    $link,
                    $fk,
                );
                $table::table
                    .filter($table::slug.eq(slug))
                    .select((
                        $table::id,
                        <$write>::as_select(),
                        $table::created_at,
                        $table::updated_at,
                        diesel::dsl::sql::<diesel::sql_types::BigInt>(&count),
                    ))
                    .first(conn)
                    .optional()
                    .map(|row| row.map($crate::store::resource::record))
            }

            fn by_ids(
                conn: &mut PgConnection,
                ids: &[uuid::Uuid],
            ) -> QueryResult<Vec<$crate::store::resource::Record<$write>>> {
                let count = $crate::store::articles::visibility::public_count(
                    stringify!($table),
                    $link,
                    $fk,
                );
                Ok($table::table
                    .filter($table::id.eq_any(ids))
                    .select((
                        $table::id,
                        <$write>::as_select(),
                        $table::created_at,
                        $table::updated_at,
                        diesel::dsl::sql::<diesel::sql_types::BigInt>(&count),
                    ))
                    .load(conn)?
                    .into_iter()
                    .map($crate::store::resource::record)
                    .collect())
            }

            fn remove(conn: &mut PgConnection, slug: &str) -> QueryResult<usize> {
                diesel::delete($table::table.filter($table::slug.eq(slug))).execute(conn)
            }

            fn list(
                conn: &mut PgConnection,
                q: $crate::store::resource::ListQuery,
            ) -> QueryResult<$crate::store::Counted<$crate::store::resource::Record<$write>>> {
                use diesel::sql_types::{BigInt, Bool};
                let count = $crate::store::articles::visibility::public_count(
                    stringify!($table),
                    $link,
                    $fk,
                );
                let non_empty = $crate::store::resource::used_sql(stringify!($table), $link, $fk);
                let mut total = $table::table.select(diesel::dsl::count_star()).into_boxed();
                let mut rows = $table::table
                    .select((
                        $table::id,
                        <$write>::as_select(),
                        $table::created_at,
                        $table::updated_at,
                        diesel::dsl::sql::<BigInt>(&count),
                    ))
                    .into_boxed();
                if q.hide_empty {
                    total = total.filter(diesel::dsl::sql::<Bool>(&non_empty));
                    rows = rows.filter(diesel::dsl::sql::<Bool>(&non_empty));
                }
                rows = match q.sort {
                    $crate::store::resource::Sort::Name => {
                        rows.order_by(($table::name.asc(), $table::slug.asc()))
                    }
                    $crate::store::resource::Sort::ArticleCountDesc => rows
                        .order_by(diesel::dsl::sql::<BigInt>(&format!("{count} DESC")))
                        .then_order_by(($table::name.asc(), $table::slug.asc())),
                };
                let total = total.get_result(conn)?;
                let rows = rows
                    .limit(q.per_page)
                    .offset((q.page - 1).saturating_mul(q.per_page))
                    .load(conn)?
                    .into_iter()
                    .map($crate::store::resource::record)
                    .collect();
                Ok($crate::store::Counted { rows, total })
            }
        }
    };
}
pub(crate) use slug_table;

/// Whether any public article is linked to the current row of `table`.
pub fn used_sql(table: &str, link: &str, fk: &str) -> String {
    format!(
        "{} > 0",
        super::articles::visibility::public_count(table, link, fk)
    )
}

/// A loaded row as a `Record`.
pub fn record<W>(
    (id, content, created_at, updated_at, article_count): (
        Uuid,
        W,
        DateTime<Utc>,
        DateTime<Utc>,
        i64,
    ),
) -> Record<W> {
    Record {
        id,
        content,
        created_at,
        updated_at,
        article_count,
    }
}
