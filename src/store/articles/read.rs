//! Single reads: an article by slug, where a former slug now points, its public neighbours, related articles,
//! and when the next scheduled article goes live.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Timestamptz};
use uuid::Uuid;

use super::links;
use super::listing::{cards, selection, visible, Include};
use super::row::{ArticleRecord, Neighbour, Row};
use super::visibility;
use crate::db::schema::{article_slug_history, articles};
use crate::domain::article::Visibility;
use crate::store::sql::Sql;

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
    let q = visible(
        articles::table.select(selection(Include::ALL)).into_boxed(),
        visibility,
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

/// The id of the article at `slug`, if `visibility` sees it (no column of its content is read).
pub fn id_of(
    conn: &mut PgConnection,
    visibility: Visibility,
    slug: &str,
) -> QueryResult<Option<Uuid>> {
    visible(
        articles::table.select(articles::id).into_boxed(),
        visibility,
    )
    .filter(articles::slug.eq(slug.to_owned()))
    .first(conn)
    .optional()
}

/// The current slug of an article that used to have `old_slug`, if that article is visible.
pub fn renamed_to(
    conn: &mut PgConnection,
    visibility: Visibility,
    old_slug: &str,
) -> QueryResult<Option<String>> {
    visible(
        articles::table.select(articles::slug).into_boxed(),
        visibility,
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
        visible(
            articles::table
                .select((
                    articles::id,
                    articles::slug,
                    articles::title,
                    articles::published_at,
                ))
                .into_boxed(),
            Visibility::Public,
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

/// For each of `ids` that is public now, its neighbours' ids in the public timeline (whose pages show it): the
/// same order and visibility as `neighbours`, for all of them in one statement.
pub fn neighbour_ids(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, Vec<Uuid>)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
        newer: Option<Uuid>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
        older: Option<Uuid>,
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (a, x) = (
        visibility::predicate_of(Visibility::Public, "a"),
        visibility::predicate_of(Visibility::Public, "x"),
    );
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT a.id, n.id AS newer, o.id AS older FROM articles a \
         LEFT JOIN LATERAL (SELECT x.id FROM articles x WHERE {x} \
             AND (x.published_at, x.id) > (a.published_at, a.id) \
             ORDER BY x.published_at, x.id LIMIT 1) n ON true \
         LEFT JOIN LATERAL (SELECT x.id FROM articles x WHERE {x} \
             AND (x.published_at, x.id) < (a.published_at, a.id) \
             ORDER BY x.published_at DESC, x.id DESC LIMIT 1) o ON true \
         WHERE a.id = ANY($1) AND {a}"
    ))
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.newer.into_iter().chain(r.older).collect()))
        .collect())
}

/// How many of each shared tag's newest public articles `related` considers.
const RELATED_CANDIDATES_PER_TAG: i64 = 200;

/// Up to `limit` public articles sharing the most tags with `article`, ties broken by newest. The candidates are the
/// newest `RELATED_CANDIDATES_PER_TAG` public articles of each of its tags, read from the tags' timeline index: the
/// work is bounded by the article's tags, not by the blog (an older article sharing more tags than any of those
/// candidates is not found).
pub fn related(
    conn: &mut PgConnection,
    article_id: Uuid,
    limit: i64,
    include: Include,
) -> QueryResult<Vec<ArticleRecord>> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| related_in(conn, article_id, limit, include))
}

fn related_in(
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
    let public = visibility::link_predicate(Visibility::Public, "theirs").unwrap_or_default();
    let ids: Vec<Uuid> = Sql::new(&format!(
        "SELECT c.article_id AS id FROM article_tags mine \
         CROSS JOIN LATERAL (SELECT theirs.article_id, theirs.listed_at FROM article_tags theirs \
             WHERE theirs.tag_id = mine.tag_id AND {public} AND theirs.article_id <> mine.article_id \
             ORDER BY theirs.listed_at DESC, theirs.article_id DESC LIMIT "
    ))
    .bind::<BigInt, _>(RELATED_CANDIDATES_PER_TAG)
    .push(
        ") c WHERE mine.article_id = ",
    )
    .bind::<diesel::sql_types::Uuid, _>(article_id)
    .push(
        " GROUP BY c.article_id, c.listed_at \
         ORDER BY count(*) DESC, c.listed_at DESC, c.article_id DESC LIMIT ",
    )
    .bind::<BigInt, _>(limit)
    .done()
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect();
    cards(conn, &ids, include)
}

/// Seconds until the next scheduled article or page goes live, on the database's clock; `None` when none is scheduled.
pub fn next_publication_secs(conn: &mut PgConnection) -> QueryResult<Option<f64>> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        seconds: Option<f64>,
    }
    // Pages are scheduled by the same rule, said of their own table.
    let scheduled = visibility::predicate(Visibility::Scheduled);
    let due: Due = diesel::sql_query(format!(
        "SELECT EXTRACT(EPOCH FROM (least((SELECT min(published_at) FROM articles WHERE {scheduled}), \
                                          (SELECT min(published_at) FROM pages WHERE {}))
                                    - now()))::float8 AS seconds",
        visibility::predicate_of(Visibility::Scheduled, "pages")
    ))
    .get_result(conn)?;
    Ok(due.seconds)
}
