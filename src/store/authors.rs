//! Authors, with the number of public articles each has.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};
use uuid::Uuid;

use super::articles::PUBLIC_SQL;
use super::Counted;
use crate::db::schema::authors;

#[derive(Debug, Clone, Queryable)]
pub struct AuthorRecord {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub article_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorSort {
    Name,
    ArticleCountDesc,
}

fn article_count_sql() -> String {
    format!(
        "(SELECT count(*) FROM article_authors JOIN articles ON articles.id = article_authors.article_id \
         WHERE article_authors.author_id = authors.id AND {PUBLIC_SQL})"
    )
}

fn columns() -> (
    authors::id,
    authors::slug,
    authors::name,
    authors::bio,
    authors::avatar_url,
    authors::website,
    authors::created_at,
    authors::updated_at,
    diesel::expression::SqlLiteral<BigInt>,
) {
    (
        authors::id,
        authors::slug,
        authors::name,
        authors::bio,
        authors::avatar_url,
        authors::website,
        authors::created_at,
        authors::updated_at,
        sql::<BigInt>(&article_count_sql()),
    )
}

pub fn list(
    conn: &mut PgConnection,
    page: i64,
    per_page: i64,
    sort: AuthorSort,
    hide_empty: bool,
) -> QueryResult<Counted<AuthorRecord>> {
    let non_empty = format!("{} > 0", article_count_sql());
    let mut count = authors::table.select(count_star()).into_boxed();
    let mut q = authors::table.select(columns()).into_boxed();
    if hide_empty {
        count = count.filter(sql::<Bool>(&non_empty));
        q = q.filter(sql::<Bool>(&non_empty));
    }
    q = match sort {
        AuthorSort::Name => q.order_by((authors::name.asc(), authors::slug.asc())),
        AuthorSort::ArticleCountDesc => q
            .order_by(sql::<BigInt>(&format!("{} DESC", article_count_sql())))
            .then_order_by((authors::name.asc(), authors::slug.asc())),
    };
    let total = count.get_result(conn)?;
    let rows = q
        .limit(per_page)
        .offset((page - 1).saturating_mul(per_page))
        .load(conn)?;
    Ok(Counted { rows, total })
}

pub fn get(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<AuthorRecord>> {
    authors::table
        .select(columns())
        .filter(authors::slug.eq(slug))
        .first(conn)
        .optional()
}

/// What a tag write stores.
#[derive(Debug, Clone)]
pub struct AuthorWrite {
    pub slug: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug)]
pub enum AuthorOutcome {
    Created(AuthorRecord),
    Updated(AuthorRecord),
    Unchanged(AuthorRecord),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthorError {
    #[error("not found")]
    NotFound,
    #[error("slug `{0}` is taken")]
    SlugTaken(String),
    /// Authors with articles are not deleted by accident.
    #[error("the author has articles")]
    HasArticles,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn reload(conn: &mut PgConnection, slug: &str) -> Result<AuthorRecord, AuthorError> {
    get(conn, slug)?.ok_or(AuthorError::NotFound)
}

fn insert(conn: &mut PgConnection, w: &AuthorWrite) -> Result<bool, AuthorError> {
    let n = diesel::insert_into(authors::table)
        .values((
            authors::slug.eq(&w.slug),
            authors::name.eq(&w.name),
            authors::bio.eq(&w.bio),
            authors::avatar_url.eq(&w.avatar_url),
            authors::website.eq(&w.website),
        ))
        .on_conflict(authors::slug)
        .do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

/// Updates the tag at `slug` to `w` (which may rename it); identical content writes nothing.
fn apply(
    conn: &mut PgConnection,
    slug: &str,
    w: &AuthorWrite,
) -> Result<AuthorOutcome, AuthorError> {
    #[allow(clippy::type_complexity)]
    let current: (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = authors::table
        .filter(authors::slug.eq(slug))
        .select((
            authors::slug,
            authors::name,
            authors::bio,
            authors::avatar_url,
            authors::website,
        ))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(AuthorError::NotFound)?;
    let wanted = (
        w.slug.clone(),
        w.name.clone(),
        w.bio.clone(),
        w.avatar_url.clone(),
        w.website.clone(),
    );
    if current == wanted {
        return Ok(AuthorOutcome::Unchanged(reload(conn, slug)?));
    }
    diesel::update(authors::table.filter(authors::slug.eq(slug)))
        .set((
            authors::slug.eq(&w.slug),
            authors::name.eq(&w.name),
            authors::bio.eq(&w.bio),
            authors::avatar_url.eq(&w.avatar_url),
            authors::website.eq(&w.website),
            authors::updated_at.eq(sql::<Timestamptz>("now()")),
        ))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => AuthorError::SlugTaken(w.slug.clone()),
            other => AuthorError::Db(other),
        })?;
    Ok(AuthorOutcome::Updated(reload(conn, &w.slug)?))
}

pub fn create(conn: &mut PgConnection, w: &AuthorWrite) -> Result<AuthorRecord, AuthorError> {
    conn.transaction(|conn| {
        if insert(conn, w)? {
            reload(conn, &w.slug)
        } else {
            Err(AuthorError::SlugTaken(w.slug.clone()))
        }
    })
}

pub fn put(conn: &mut PgConnection, w: &AuthorWrite) -> Result<AuthorOutcome, AuthorError> {
    conn.transaction(|conn| {
        if insert(conn, w)? {
            Ok(AuthorOutcome::Created(reload(conn, &w.slug)?))
        } else {
            apply(conn, &w.slug, w)
        }
    })
}

pub fn update(
    conn: &mut PgConnection,
    slug: &str,
    w: &AuthorWrite,
) -> Result<AuthorOutcome, AuthorError> {
    conn.transaction(|conn| apply(conn, slug, w))
}

pub fn delete(conn: &mut PgConnection, slug: &str) -> Result<(), AuthorError> {
    match diesel::delete(authors::table.filter(authors::slug.eq(slug))).execute(conn) {
        Ok(0) => Err(AuthorError::NotFound),
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => Err(AuthorError::HasArticles),
        Err(e) => Err(AuthorError::Db(e)),
    }
}
