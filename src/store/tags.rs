//! Tags, with the number of public articles each has.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};
use uuid::Uuid;

use super::articles::PUBLIC_SQL;
use super::Counted;
use crate::db::schema::tags;

#[derive(Debug, Clone, Queryable)]
pub struct TagRecord {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub article_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagSort {
    Name,
    ArticleCountDesc,
}

fn article_count_sql() -> String {
    format!(
        "(SELECT count(*) FROM article_tags JOIN articles ON articles.id = article_tags.article_id \
         WHERE article_tags.tag_id = tags.id AND {PUBLIC_SQL})"
    )
}

fn columns() -> (
    tags::id,
    tags::slug,
    tags::name,
    tags::description,
    tags::created_at,
    tags::updated_at,
    diesel::expression::SqlLiteral<BigInt>,
) {
    (
        tags::id,
        tags::slug,
        tags::name,
        tags::description,
        tags::created_at,
        tags::updated_at,
        sql::<BigInt>(&article_count_sql()),
    )
}

pub fn list(
    conn: &mut PgConnection,
    page: i64,
    per_page: i64,
    sort: TagSort,
    hide_empty: bool,
) -> QueryResult<Counted<TagRecord>> {
    let non_empty = format!("{} > 0", article_count_sql());
    let mut count = tags::table.select(count_star()).into_boxed();
    let mut q = tags::table.select(columns()).into_boxed();
    if hide_empty {
        count = count.filter(sql::<Bool>(&non_empty));
        q = q.filter(sql::<Bool>(&non_empty));
    }
    q = match sort {
        TagSort::Name => q.order_by((tags::name.asc(), tags::slug.asc())),
        TagSort::ArticleCountDesc => q
            .order_by(sql::<BigInt>(&format!("{} DESC", article_count_sql())))
            .then_order_by((tags::name.asc(), tags::slug.asc())),
    };
    let total = count.get_result(conn)?;
    let rows = q
        .limit(per_page)
        .offset((page - 1).saturating_mul(per_page))
        .load(conn)?;
    Ok(Counted { rows, total })
}

pub fn get(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<TagRecord>> {
    tags::table
        .select(columns())
        .filter(tags::slug.eq(slug))
        .first(conn)
        .optional()
}

/// What a tag write stores.
#[derive(Debug, Clone)]
pub struct TagWrite {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug)]
pub enum TagOutcome {
    Created(TagRecord),
    Updated(TagRecord),
    Unchanged(TagRecord),
}

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("not found")]
    NotFound,
    #[error("slug `{0}` is taken")]
    SlugTaken(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn reload(conn: &mut PgConnection, slug: &str) -> Result<TagRecord, TagError> {
    get(conn, slug)?.ok_or(TagError::NotFound)
}

fn insert(conn: &mut PgConnection, w: &TagWrite) -> Result<bool, TagError> {
    let n = diesel::insert_into(tags::table)
        .values((
            tags::slug.eq(&w.slug),
            tags::name.eq(&w.name),
            tags::description.eq(&w.description),
        ))
        .on_conflict(tags::slug)
        .do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

/// Updates the tag at `slug` to `w` (which may rename it); identical content writes nothing.
fn apply(conn: &mut PgConnection, slug: &str, w: &TagWrite) -> Result<TagOutcome, TagError> {
    let current: (String, String, Option<String>) = tags::table
        .filter(tags::slug.eq(slug))
        .select((tags::slug, tags::name, tags::description))
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(TagError::NotFound)?;
    if current == (w.slug.clone(), w.name.clone(), w.description.clone()) {
        return Ok(TagOutcome::Unchanged(reload(conn, slug)?));
    }
    diesel::update(tags::table.filter(tags::slug.eq(slug)))
        .set((
            tags::slug.eq(&w.slug),
            tags::name.eq(&w.name),
            tags::description.eq(&w.description),
            tags::updated_at.eq(sql::<Timestamptz>("now()")),
        ))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => TagError::SlugTaken(w.slug.clone()),
            other => TagError::Db(other),
        })?;
    Ok(TagOutcome::Updated(reload(conn, &w.slug)?))
}

pub fn create(conn: &mut PgConnection, w: &TagWrite) -> Result<TagRecord, TagError> {
    conn.transaction(|conn| {
        if insert(conn, w)? {
            reload(conn, &w.slug)
        } else {
            Err(TagError::SlugTaken(w.slug.clone()))
        }
    })
}

pub fn put(conn: &mut PgConnection, w: &TagWrite) -> Result<TagOutcome, TagError> {
    conn.transaction(|conn| {
        if insert(conn, w)? {
            Ok(TagOutcome::Created(reload(conn, &w.slug)?))
        } else {
            apply(conn, &w.slug, w)
        }
    })
}

pub fn update(conn: &mut PgConnection, slug: &str, w: &TagWrite) -> Result<TagOutcome, TagError> {
    conn.transaction(|conn| apply(conn, slug, w))
}

pub fn delete(conn: &mut PgConnection, slug: &str) -> Result<(), TagError> {
    match diesel::delete(tags::table.filter(tags::slug.eq(slug))).execute(conn)? {
        0 => Err(TagError::NotFound),
        _ => Ok(()),
    }
}
