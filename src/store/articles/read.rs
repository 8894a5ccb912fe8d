//! Single reads: an article by slug, where a former slug now points, its public neighbours, related articles,
//! and when the next scheduled article goes live.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use uuid::Uuid;

use super::links;
use super::listing::{filtered, selection, Filters, Include};
use super::row::{ArticleRecord, Neighbour, Row};
use super::visibility;
use crate::db::schema::{article_slug_history, articles};
use crate::domain::article::Visibility;

/// How a single read finds its article.
#[derive(Debug, Clone, Copy)]
pub(super) enum Key<'a> {
    Slug(&'a str),
    Id(Uuid),
}

/// One article, whole, if `visibility` sees it.
pub(super) fn find(
    conn: &mut PgConnection,
    visibility: Visibility,
    key: Key<'_>,
) -> QueryResult<Option<ArticleRecord>> {
    let q = filtered(
        articles::table
            .select(selection(Include::ALL, None))
            .into_boxed(),
        visibility,
        &Filters::default(),
    );
    let q = match key {
        Key::Slug(slug) => q.filter(articles::slug.eq(slug.to_owned())),
        Key::Id(id) => q.filter(articles::id.eq(id)),
    };
    let Some(row) = q.first::<Row>(conn).optional()? else {
        return Ok(None);
    };
    let mut rows = [ArticleRecord::from_row(row)];
    links::attach(conn, &mut rows, Include::ALL)?;
    let [record] = rows;
    Ok(Some(record))
}

/// One article by its current slug, whole.
pub fn get(
    conn: &mut PgConnection,
    visibility: Visibility,
    slug: &str,
) -> QueryResult<Option<ArticleRecord>> {
    find(conn, visibility, Key::Slug(slug))
}

/// The current slug of an article that used to have `old_slug`, if that article is visible.
pub fn renamed_to(
    conn: &mut PgConnection,
    visibility: Visibility,
    old_slug: &str,
) -> QueryResult<Option<String>> {
    filtered(
        articles::table.select(articles::slug).into_boxed(),
        visibility,
        &Filters::default(),
    )
    .filter(
        articles::id.eq_any(
            article_slug_history::table
                .filter(article_slug_history::slug.eq(old_slug.to_owned()))
                .select(article_slug_history::article_id),
        ),
    )
    .first(conn)
    .optional()
}

/// The public articles right after (newer) and right before (older) this one in publication order.
pub fn neighbours(
    conn: &mut PgConnection,
    id: Uuid,
    published_at: Option<DateTime<Utc>>,
) -> QueryResult<(Option<Neighbour>, Option<Neighbour>)> {
    let Some(at) = published_at else {
        return Ok((None, None));
    };
    let base = || {
        filtered(
            articles::table
                .select((articles::slug, articles::title, articles::published_at))
                .into_boxed(),
            Visibility::Public,
            &Filters::default(),
        )
    };
    let beyond = |op: &str| {
        sql::<Bool>(&format!("(articles.published_at, articles.id) {op} ("))
            .bind::<Timestamptz, _>(at)
            .sql(", ")
            .bind::<diesel::sql_types::Uuid, _>(id)
            .sql(")")
    };
    let newer = base()
        .filter(beyond(">"))
        .order_by((articles::published_at.asc(), articles::id.asc()))
        .first::<Neighbour>(conn)
        .optional()?;
    let older = base()
        .filter(beyond("<"))
        .order_by((articles::published_at.desc(), articles::id.desc()))
        .first::<Neighbour>(conn)
        .optional()?;
    Ok((newer, older))
}

/// Up to `limit` public articles sharing the most tags with `article`, ties broken by newest.
pub fn related(
    conn: &mut PgConnection,
    article_id: Uuid,
    limit: i64,
    include: Include,
) -> QueryResult<Vec<ArticleRecord>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let ids: Vec<Uuid> = diesel::sql_query(format!(
        "SELECT articles.id FROM article_tags mine \
         JOIN article_tags theirs ON theirs.tag_id = mine.tag_id AND theirs.article_id <> mine.article_id \
         JOIN articles ON articles.id = theirs.article_id \
         WHERE mine.article_id = $1 AND {} \
         GROUP BY articles.id, articles.published_at \
         ORDER BY count(*) DESC, articles.published_at DESC, articles.id DESC \
         LIMIT $2",
        visibility::public()
    ))
    .bind::<diesel::sql_types::Uuid, _>(article_id)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    let mut rows: Vec<ArticleRecord> = filtered(
        articles::table
            .select(selection(include, None))
            .into_boxed(),
        Visibility::Public,
        &Filters::default(),
    )
    .filter(articles::id.eq_any(ids.clone()))
    .load::<Row>(conn)?
    .into_iter()
    .map(ArticleRecord::from_row)
    .collect();
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.head.id));
    links::attach(conn, &mut rows, include)?;
    Ok(rows)
}

/// Seconds until the next scheduled article goes live, on the database's clock; `None` when none is scheduled.
pub fn next_publication_secs(conn: &mut PgConnection) -> QueryResult<Option<f64>> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        seconds: Option<f64>,
    }
    let due: Due = diesel::sql_query(format!(
        "SELECT EXTRACT(EPOCH FROM (min(published_at) - now()))::float8 AS seconds FROM articles WHERE {}",
        visibility::predicate(Visibility::Scheduled)
    ))
    .get_result(conn)?;
    Ok(due.seconds)
}
