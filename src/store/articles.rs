//! Articles: the listing query (filters, sorts, page and keyset windows, sparse columns), the detail with its
//! neighbours, related articles, and the write path (create, idempotent replace, rename, delete).

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Float4, Jsonb, Nullable, Text, Timestamptz};
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::{
    article_authors, article_slug_history, article_tags, articles, authors, tags,
};
use crate::domain::cursor::{Cursor, Direction};

/// Which articles a read may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Published with `published_at <= now()`: what anyone may read.
    Public,
    Draft,
    /// Published with `published_at` still ahead.
    Scheduled,
    Any,
}

/// The one definition of "public", as SQL over `articles`; every count and listing uses it.
pub const PUBLIC_SQL: &str = "articles.status = 'published' AND articles.published_at <= now()";

impl Visibility {
    fn predicate(self) -> &'static str {
        match self {
            Visibility::Public => PUBLIC_SQL,
            Visibility::Scheduled => {
                "articles.status = 'published' AND articles.published_at > now()"
            }
            Visibility::Draft => "articles.status = 'draft'",
            Visibility::Any => "TRUE",
        }
    }

    /// Only published rows have a `published_at` for sure; other views sort drafts by creation time.
    fn published_key(self) -> &'static str {
        match self {
            Visibility::Public | Visibility::Scheduled => "articles.published_at",
            Visibility::Draft | Visibility::Any => {
                "COALESCE(articles.published_at, articles.created_at)"
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    PublishedDesc,
    PublishedAsc,
    Title,
    UpdatedDesc,
    /// By full-text rank; only with a search.
    Relevance,
}

impl Sort {
    pub fn name(self) -> &'static str {
        match self {
            Sort::PublishedDesc => "-published_at",
            Sort::PublishedAsc => "published_at",
            Sort::Title => "title",
            Sort::UpdatedDesc => "-updated_at",
            Sort::Relevance => "relevance",
        }
    }

    fn descending(self) -> bool {
        matches!(
            self,
            Sort::PublishedDesc | Sort::UpdatedDesc | Sort::Relevance
        )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub tags_any: Vec<String>,
    pub tags_all: Vec<String>,
    pub author: Option<String>,
    pub featured: Option<bool>,
    pub q: Option<String>,
    /// Inclusive.
    pub published_after: Option<DateTime<Utc>>,
    /// Exclusive.
    pub published_before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub enum Window {
    Page {
        page: i64,
        per_page: i64,
    },
    Cursor {
        cursor: Option<Cursor>,
        per_page: i64,
    },
}

/// The expensive columns a response needs; the others are always read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Include {
    pub body_markdown: bool,
    pub body_html: bool,
    pub toc: bool,
    pub tags: bool,
    pub authors: bool,
}

impl Include {
    pub const ALL: Include = Include {
        body_markdown: true,
        body_html: true,
        toc: true,
        tags: true,
        authors: true,
    };
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub visibility: Visibility,
    pub filters: Filters,
    pub sort: Sort,
    pub window: Window,
    pub include: Include,
}

/// An article as read: every scalar column, and the expensive parts when asked for.
#[derive(Debug, Clone, Queryable)]
pub struct ArticleRecord {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub summary_derived: bool,
    pub status: String,
    pub featured: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    pub word_count: i32,
    pub reading_time_minutes: i32,
    pub cover_image: Option<Value>,
    pub seo: Value,
    pub body_markdown: Option<String>,
    pub body_html: Option<String>,
    pub toc: Option<Value>,
    /// `[{"slug","name"}]` in order.
    pub tags: Option<Value>,
    /// `[{"slug","name","avatar_url"}]` in order.
    pub authors: Option<Value>,
    /// The full-text rank, when sorting by relevance.
    pub rank: Option<f32>,
}

pub struct Page {
    pub rows: Vec<ArticleRecord>,
    pub total: i64,
    /// Cursor mode: where the next and previous pages start.
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

const TAGS_SQL: &str =
    "(SELECT COALESCE(jsonb_agg(jsonb_build_object('slug', t.slug, 'name', t.name) \
     ORDER BY at.position), '[]'::jsonb) FROM article_tags at JOIN tags t ON t.id = at.tag_id \
     WHERE at.article_id = articles.id)";
const AUTHORS_SQL: &str =
    "(SELECT COALESCE(jsonb_agg(jsonb_build_object('slug', p.slug, 'name', p.name, \
     'avatar_url', p.avatar_url) ORDER BY aa.position), '[]'::jsonb) FROM article_authors aa \
     JOIN authors p ON p.id = aa.author_id WHERE aa.article_id = articles.id)";

type Boxed<ST> = Box<dyn BoxableExpression<articles::table, Pg, SqlType = ST>>;

fn column_or_null<
    ST: diesel::sql_types::SqlType + diesel::sql_types::SingleValue + Send + 'static,
>(
    wanted: bool,
    expr: &str,
) -> Boxed<ST> {
    Box::new(sql::<ST>(if wanted { expr } else { "NULL" }))
}

fn rank_expr(q: &str) -> Boxed<Nullable<Float4>> {
    Box::new(
        sql::<Nullable<Float4>>("ts_rank(articles.search, websearch_to_tsquery('english', ")
            .bind::<Text, _>(q.to_owned())
            .sql("))"),
    )
}

#[allow(clippy::type_complexity)]
fn selection(
    include: Include,
    rank: Option<&str>,
) -> (
    (
        articles::id,
        articles::slug,
        articles::title,
        articles::summary,
        articles::summary_derived,
        articles::status,
        articles::featured,
        articles::published_at,
        articles::created_at,
        articles::updated_at,
        articles::version,
        articles::word_count,
        articles::reading_time_minutes,
        articles::cover_image,
        articles::seo,
    ),
    Boxed<Nullable<Text>>,
    Boxed<Nullable<Text>>,
    Boxed<Nullable<Jsonb>>,
    Boxed<Nullable<Jsonb>>,
    Boxed<Nullable<Jsonb>>,
    Boxed<Nullable<Float4>>,
) {
    (
        (
            articles::id,
            articles::slug,
            articles::title,
            articles::summary,
            articles::summary_derived,
            articles::status,
            articles::featured,
            articles::published_at,
            articles::created_at,
            articles::updated_at,
            articles::version,
            articles::word_count,
            articles::reading_time_minutes,
            articles::cover_image,
            articles::seo,
        ),
        column_or_null(include.body_markdown, "articles.body_markdown"),
        column_or_null(include.body_html, "articles.body_html"),
        column_or_null(include.toc, "articles.toc"),
        column_or_null(include.tags, TAGS_SQL),
        column_or_null(include.authors, AUTHORS_SQL),
        match rank {
            Some(q) => rank_expr(q),
            None => Box::new(sql::<Nullable<Float4>>("NULL")),
        },
    )
}

type Row = (
    (
        Uuid,
        String,
        String,
        String,
        bool,
        String,
        bool,
        Option<DateTime<Utc>>,
        DateTime<Utc>,
        DateTime<Utc>,
        i64,
        i32,
        i32,
        Option<Value>,
        Value,
    ),
    Option<String>,
    Option<String>,
    Option<Value>,
    Option<Value>,
    Option<Value>,
    Option<f32>,
);

fn record(row: Row) -> ArticleRecord {
    let (
        (
            id,
            slug,
            title,
            summary,
            summary_derived,
            status,
            featured,
            published_at,
            created_at,
            updated_at,
            version,
            word_count,
            reading_time_minutes,
            cover_image,
            seo,
        ),
        body_markdown,
        body_html,
        toc,
        tags,
        authors,
        rank,
    ) = row;
    ArticleRecord {
        id,
        slug,
        title,
        summary,
        summary_derived,
        status,
        featured,
        published_at,
        created_at,
        updated_at,
        version,
        word_count,
        reading_time_minutes,
        cover_image,
        seo,
        body_markdown,
        body_html,
        toc,
        tags,
        authors,
        rank,
    }
}

/// Applies visibility and filters to any query over `articles`.
fn filtered<'a, ST: 'a>(
    mut q: articles::BoxedQuery<'a, Pg, ST>,
    visibility: Visibility,
    f: &Filters,
) -> articles::BoxedQuery<'a, Pg, ST> {
    q = q.filter(sql::<Bool>(visibility.predicate()));
    if !f.tags_any.is_empty() {
        q = q.filter(
            articles::id.eq_any(
                article_tags::table
                    .inner_join(tags::table)
                    .filter(tags::slug.eq_any(f.tags_any.clone()))
                    .select(article_tags::article_id),
            ),
        );
    }
    for tag in &f.tags_all {
        q = q.filter(
            articles::id.eq_any(
                article_tags::table
                    .inner_join(tags::table)
                    .filter(tags::slug.eq(tag.clone()))
                    .select(article_tags::article_id),
            ),
        );
    }
    if let Some(author) = &f.author {
        q = q.filter(
            articles::id.eq_any(
                article_authors::table
                    .inner_join(authors::table)
                    .filter(authors::slug.eq(author.clone()))
                    .select(article_authors::article_id),
            ),
        );
    }
    if let Some(featured) = f.featured {
        q = q.filter(articles::featured.eq(featured));
    }
    if let Some(text) = &f.q {
        q = q.filter(
            sql::<Bool>("articles.search @@ websearch_to_tsquery('english', ")
                .bind::<Text, _>(text.clone())
                .sql(")"),
        );
    }
    if let Some(after) = f.published_after {
        q = q.filter(articles::published_at.ge(after));
    }
    if let Some(before) = f.published_before {
        q = q.filter(articles::published_at.lt(before));
    }
    q
}

/// The sort key of a row as cursor text, and the SQL expression it compares against.
fn sort_key(sort: Sort, row: &ArticleRecord) -> String {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    match sort {
        // Matches `Visibility::published_key`: rows without a date sort by creation.
        Sort::PublishedDesc | Sort::PublishedAsc => {
            time(row.published_at.unwrap_or(row.created_at))
        }
        Sort::UpdatedDesc => time(row.updated_at),
        Sort::Title => row.title.clone(),
        Sort::Relevance => row.rank.unwrap_or(0.0).to_string(),
    }
}

/// `(key, id) < (cursor key, cursor id)` or `>`, as the sort and direction need.
fn keyset(
    sort: Sort,
    visibility: Visibility,
    q: Option<&str>,
    cursor: &Cursor,
) -> Result<Boxed<Bool>, InvalidKey> {
    let forward = cursor.direction == Direction::After;
    let op = if sort.descending() == forward {
        "<"
    } else {
        ">"
    };
    let tail = format!(", articles.id) {op} (");
    let id = cursor.id;
    Ok(match sort {
        Sort::PublishedDesc | Sort::PublishedAsc | Sort::UpdatedDesc => {
            let key = DateTime::parse_from_rfc3339(&cursor.key)
                .map_err(|_| InvalidKey)?
                .with_timezone(&Utc);
            let expr = if sort == Sort::UpdatedDesc {
                "articles.updated_at"
            } else {
                visibility.published_key()
            };
            Box::new(
                sql::<Bool>(&format!("({expr}{tail}"))
                    .bind::<Timestamptz, _>(key)
                    .sql(", ")
                    .bind::<diesel::sql_types::Uuid, _>(id)
                    .sql(")"),
            )
        }
        Sort::Title => Box::new(
            sql::<Bool>(&format!("(articles.title{tail}"))
                .bind::<Text, _>(cursor.key.clone())
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(id)
                .sql(")"),
        ),
        Sort::Relevance => {
            let key: f32 = cursor.key.parse().map_err(|_| InvalidKey)?;
            Box::new(
                sql::<Bool>("(ts_rank(articles.search, websearch_to_tsquery('english', ")
                    .bind::<Text, _>(q.unwrap_or_default().to_owned())
                    .sql(&format!(")){tail}"))
                    .bind::<Float4, _>(key)
                    .sql(", ")
                    .bind::<diesel::sql_types::Uuid, _>(id)
                    .sql(")"),
            )
        }
    })
}

/// A cursor whose key does not parse for its sort.
#[derive(Debug)]
pub struct InvalidKey;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("bad cursor")]
    BadCursor,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Conn(#[from] crate::db::DbError),
}

/// One listing request: the matching rows of the window and the total.
pub fn list(conn: &mut PgConnection, query: &ListQuery) -> Result<Page, ListError> {
    let ListQuery {
        visibility,
        filters,
        sort,
        window,
        include,
    } = query;
    let (visibility, sort) = (*visibility, *sort);
    let search = filters.q.as_deref();

    let total: i64 = filtered(
        articles::table.select(count_star()).into_boxed(),
        visibility,
        filters,
    )
    .get_result(conn)?;

    let mut q = filtered(
        articles::table
            .select(selection(
                *include,
                search.filter(|_| sort == Sort::Relevance),
            ))
            .into_boxed(),
        visibility,
        filters,
    );

    let (per_page, cursor) = match window {
        Window::Page { per_page, .. } => (*per_page, None),
        Window::Cursor { cursor, per_page } => (*per_page, cursor.as_ref()),
    };
    if let Some(c) = cursor {
        if c.sort != sort.name() {
            return Err(ListError::BadCursor);
        }
        q = q.filter(keyset(sort, visibility, search, c).map_err(|_| ListError::BadCursor)?);
    }
    let backwards = cursor.is_some_and(|c| c.direction == Direction::Before);
    let descending = sort.descending() != backwards;
    let dir = if descending { " DESC" } else { " ASC" };
    q = match sort {
        Sort::PublishedDesc | Sort::PublishedAsc => {
            q.order_by(sql::<Text>(&format!("{}{dir}", visibility.published_key())))
        }
        Sort::UpdatedDesc => q.order_by(sql::<Text>(&format!("articles.updated_at{dir}"))),
        Sort::Title => q.order_by(sql::<Text>(&format!("articles.title{dir}"))),
        Sort::Relevance => q.order_by(
            sql::<Text>("ts_rank(articles.search, websearch_to_tsquery('english', ")
                .bind::<Text, _>(search.unwrap_or_default().to_owned())
                .sql(&format!(")){dir}")),
        ),
    };
    q = if descending {
        q.then_order_by(articles::id.desc())
    } else {
        q.then_order_by(articles::id.asc())
    };

    match window {
        Window::Page { page, per_page } => {
            let rows: Vec<Row> = q
                .limit(*per_page)
                .offset((page - 1).saturating_mul(*per_page))
                .load(conn)?;
            Ok(Page {
                rows: rows.into_iter().map(record).collect(),
                total,
                next: None,
                prev: None,
            })
        }
        Window::Cursor { .. } => {
            let mut rows: Vec<ArticleRecord> = q
                .limit(per_page + 1)
                .load::<Row>(conn)?
                .into_iter()
                .map(record)
                .collect();
            let more = rows.len() as i64 > per_page;
            rows.truncate(per_page as usize);
            if backwards {
                rows.reverse();
            }
            let boundary = |row: &ArticleRecord, direction| Cursor {
                sort: sort.name().to_owned(),
                direction,
                key: sort_key(sort, row),
                id: row.id,
            };
            // Forward: a next page exists if more rows came; a previous one if we started from a cursor.
            // Backward: the mirror image.
            let (has_next, has_prev) = if backwards {
                (true, more)
            } else {
                (more, cursor.is_some())
            };
            Ok(Page {
                next: rows
                    .last()
                    .filter(|_| has_next)
                    .map(|r| boundary(r, Direction::After)),
                prev: rows
                    .first()
                    .filter(|_| has_prev)
                    .map(|r| boundary(r, Direction::Before)),
                rows,
                total,
            })
        }
    }
}

/// One article by its current slug, whole.
pub fn get(
    conn: &mut PgConnection,
    visibility: Visibility,
    slug: &str,
) -> QueryResult<Option<ArticleRecord>> {
    filtered(
        articles::table
            .select(selection(Include::ALL, None))
            .into_boxed(),
        visibility,
        &Filters::default(),
    )
    .filter(articles::slug.eq(slug.to_owned()))
    .first::<Row>(conn)
    .optional()
    .map(|row| row.map(record))
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

/// A neighbour in the public timeline.
#[derive(Debug, Clone, Queryable)]
pub struct Neighbour {
    pub slug: String,
    pub title: String,
    pub published_at: Option<DateTime<Utc>>,
}

/// The public articles right after (newer) and right before (older) this one in publication order.
pub fn neighbours(
    conn: &mut PgConnection,
    article: &ArticleRecord,
) -> QueryResult<(Option<Neighbour>, Option<Neighbour>)> {
    let Some(at) = article.published_at else {
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
    let newer = base()
        .filter(
            sql::<Bool>("(articles.published_at, articles.id) > (")
                .bind::<Timestamptz, _>(at)
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(article.id)
                .sql(")"),
        )
        .order_by((articles::published_at.asc(), articles::id.asc()))
        .first::<Neighbour>(conn)
        .optional()?;
    let older = base()
        .filter(
            sql::<Bool>("(articles.published_at, articles.id) < (")
                .bind::<Timestamptz, _>(at)
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(article.id)
                .sql(")"),
        )
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
         WHERE mine.article_id = $1 AND {PUBLIC_SQL} \
         GROUP BY articles.id, articles.published_at \
         ORDER BY count(*) DESC, articles.published_at DESC, articles.id DESC \
         LIMIT $2"
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
    .map(record)
    .collect();
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// Everything a write stores, already validated and rendered by the caller.
#[derive(Debug, Clone)]
pub struct ArticleWrite {
    pub slug: String,
    pub title: String,
    /// `None`: use `derived_summary`, and keep following the body.
    pub summary: Option<String>,
    pub derived_summary: String,
    pub body_markdown: String,
    pub body_html: String,
    pub body_text: String,
    pub toc: Value,
    pub word_count: i32,
    pub reading_time_minutes: i32,
    /// `draft` or `published`.
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub featured: bool,
    /// `(slug, name)` in order, without duplicate slugs. New slugs become new tags.
    pub tags: Vec<(String, String)>,
    /// Author slugs in order, without duplicates. Each must exist.
    pub authors: Vec<String>,
    pub cover_image: Option<Value>,
    pub seo: Value,
}

/// A condition the caller's request put on the current state of the article.
pub enum Precondition {
    None,
    /// `If-Match`: the article must exist and the check must accept its id and version.
    Matches(Box<dyn Fn(Uuid, i64) -> bool + Send>),
    /// `If-None-Match: *`: the slug must be free.
    Absent,
}

#[derive(Debug)]
pub enum Outcome {
    Created(ArticleRecord),
    Updated(ArticleRecord),
    Unchanged(ArticleRecord),
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("not found")]
    NotFound,
    #[error("slug `{0}` is taken")]
    SlugTaken(String),
    /// `(position in the list, slug)` of each author that does not exist.
    #[error("unknown authors")]
    UnknownAuthors(Vec<(usize, String)>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

#[derive(Debug, Queryable)]
struct Current {
    id: Uuid,
    version: i64,
    slug: String,
    title: String,
    summary: String,
    summary_derived: bool,
    body_markdown: String,
    status: String,
    featured: bool,
    published_at: Option<DateTime<Utc>>,
    cover_image: Option<Value>,
    seo: Value,
}

fn lock_current(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<Current>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .select((
            articles::id,
            articles::version,
            articles::slug,
            articles::title,
            articles::summary,
            articles::summary_derived,
            articles::body_markdown,
            articles::status,
            articles::featured,
            articles::published_at,
            articles::cover_image,
            articles::seo,
        ))
        .for_update()
        .first(conn)
        .optional()
}

fn check(precondition: &Precondition, current: Option<&Current>) -> Result<(), WriteError> {
    match (precondition, current) {
        (Precondition::None, _) => Ok(()),
        (Precondition::Absent, None) => Ok(()),
        (Precondition::Matches(accepts), Some(c)) if accepts(c.id, c.version) => Ok(()),
        _ => Err(WriteError::PreconditionFailed),
    }
}

fn db_now(conn: &mut PgConnection) -> QueryResult<DateTime<Utc>> {
    diesel::select(sql::<Timestamptz>("now()")).get_result(conn)
}

/// Creates the tags that do not exist yet (racing writers are fine: the loser's insert does nothing) and
/// returns every tag's id in the given order.
fn resolve_tags(conn: &mut PgConnection, wanted: &[(String, String)]) -> QueryResult<Vec<Uuid>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // Sorted, so that two writers creating the same tags lock them in the same order.
    let mut sorted: Vec<&(String, String)> = wanted.iter().collect();
    sorted.sort();
    let rows: Vec<_> = sorted
        .into_iter()
        .map(|(slug, name)| (tags::slug.eq(slug.clone()), tags::name.eq(name.clone())))
        .collect();
    diesel::insert_into(tags::table)
        .values(rows)
        .on_conflict(tags::slug)
        .do_nothing()
        .execute(conn)?;
    let slugs: Vec<&String> = wanted.iter().map(|(slug, _)| slug).collect();
    let found: Vec<(Uuid, String)> = tags::table
        .filter(tags::slug.eq_any(&slugs))
        .select((tags::id, tags::slug))
        .load(conn)?;
    Ok(wanted
        .iter()
        .filter_map(|(slug, _)| found.iter().find(|(_, s)| s == slug).map(|(id, _)| *id))
        .collect())
}

fn resolve_authors(conn: &mut PgConnection, wanted: &[String]) -> Result<Vec<Uuid>, WriteError> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<(Uuid, String)> = authors::table
        .filter(authors::slug.eq_any(wanted))
        .select((authors::id, authors::slug))
        .load(conn)?;
    let mut ids = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for (i, slug) in wanted.iter().enumerate() {
        match found.iter().find(|(_, s)| s == slug) {
            Some((id, _)) => ids.push(*id),
            None => missing.push((i, slug.clone())),
        }
    }
    if missing.is_empty() {
        Ok(ids)
    } else {
        Err(WriteError::UnknownAuthors(missing))
    }
}

fn set_links(
    conn: &mut PgConnection,
    article_id: Uuid,
    tag_ids: &[Uuid],
    author_ids: &[Uuid],
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(article_id)))
        .execute(conn)?;
    let position = |i: usize| i16::try_from(i).unwrap_or(i16::MAX);
    if !tag_ids.is_empty() {
        let rows: Vec<_> = tag_ids
            .iter()
            .enumerate()
            .map(|(i, tag)| {
                (
                    article_tags::article_id.eq(article_id),
                    article_tags::tag_id.eq(*tag),
                    article_tags::position.eq(position(i)),
                )
            })
            .collect();
        diesel::insert_into(article_tags::table)
            .values(rows)
            .execute(conn)?;
    }
    if !author_ids.is_empty() {
        let rows: Vec<_> = author_ids
            .iter()
            .enumerate()
            .map(|(i, author)| {
                (
                    article_authors::article_id.eq(article_id),
                    article_authors::author_id.eq(*author),
                    article_authors::position.eq(position(i)),
                )
            })
            .collect();
        diesel::insert_into(article_authors::table)
            .values(rows)
            .execute(conn)?;
    }
    Ok(())
}

fn linked_ids(conn: &mut PgConnection, article_id: Uuid) -> QueryResult<(Vec<Uuid>, Vec<Uuid>)> {
    let tag_ids = article_tags::table
        .filter(article_tags::article_id.eq(article_id))
        .order_by(article_tags::position)
        .select(article_tags::tag_id)
        .load(conn)?;
    let author_ids = article_authors::table
        .filter(article_authors::article_id.eq(article_id))
        .order_by(article_authors::position)
        .select(article_authors::author_id)
        .load(conn)?;
    Ok((tag_ids, author_ids))
}

/// A current slug always wins over an old one: a slug taken now no longer redirects elsewhere.
fn forget_old_slug(conn: &mut PgConnection, slug: &str) -> QueryResult<()> {
    diesel::delete(article_slug_history::table.filter(article_slug_history::slug.eq(slug)))
        .execute(conn)?;
    Ok(())
}

fn reload(conn: &mut PgConnection, id: Uuid) -> QueryResult<ArticleRecord> {
    articles::table
        .select(selection(Include::ALL, None))
        .filter(articles::id.eq(id))
        .first::<Row>(conn)
        .map(record)
}

fn insert(conn: &mut PgConnection, w: &ArticleWrite) -> Result<Option<Uuid>, WriteError> {
    let tag_ids = resolve_tags(conn, &w.tags)?;
    let author_ids = resolve_authors(conn, &w.authors)?;
    let published_at = match (w.published_at, w.status.as_str()) {
        (None, "published") => Some(db_now(conn)?),
        (at, _) => at,
    };
    let id: Option<Uuid> = diesel::insert_into(articles::table)
        .values((
            articles::slug.eq(&w.slug),
            articles::title.eq(&w.title),
            articles::summary.eq(w.summary.as_ref().unwrap_or(&w.derived_summary)),
            articles::summary_derived.eq(w.summary.is_none()),
            articles::body_markdown.eq(&w.body_markdown),
            articles::body_html.eq(&w.body_html),
            articles::body_text.eq(&w.body_text),
            articles::toc.eq(&w.toc),
            articles::word_count.eq(w.word_count),
            articles::reading_time_minutes.eq(w.reading_time_minutes),
            articles::status.eq(&w.status),
            articles::featured.eq(w.featured),
            articles::published_at.eq(published_at),
            articles::cover_image.eq(&w.cover_image),
            articles::seo.eq(&w.seo),
        ))
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

fn apply(conn: &mut PgConnection, cur: Current, w: &ArticleWrite) -> Result<Outcome, WriteError> {
    let tag_ids = resolve_tags(conn, &w.tags)?;
    let author_ids = resolve_authors(conn, &w.authors)?;
    // Publishing without a date sets it to now; later edits keep it.
    let published_at = match w.published_at.or(cur.published_at) {
        None if w.status == "published" => Some(db_now(conn)?),
        at => at,
    };
    let summary = w
        .summary
        .clone()
        .unwrap_or_else(|| w.derived_summary.clone());
    let (cur_tags, cur_authors) = linked_ids(conn, cur.id)?;
    let unchanged = cur.slug == w.slug
        && cur.title == w.title
        && cur.summary == summary
        && cur.summary_derived == w.summary.is_none()
        && cur.body_markdown == w.body_markdown
        && cur.status == w.status
        && cur.featured == w.featured
        && cur.published_at == published_at
        && cur.cover_image == w.cover_image
        && cur.seo == w.seo
        && cur_tags == tag_ids
        && cur_authors == author_ids;
    if unchanged {
        return Ok(Outcome::Unchanged(reload(conn, cur.id)?));
    }
    if cur.slug != w.slug {
        let taken: i64 = articles::table
            .filter(articles::slug.eq(&w.slug))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(WriteError::SlugTaken(w.slug.clone()));
        }
    }
    diesel::update(articles::table.filter(articles::id.eq(cur.id)))
        .set((
            articles::slug.eq(&w.slug),
            articles::title.eq(&w.title),
            articles::summary.eq(&summary),
            articles::summary_derived.eq(w.summary.is_none()),
            articles::body_markdown.eq(&w.body_markdown),
            articles::body_html.eq(&w.body_html),
            articles::body_text.eq(&w.body_text),
            articles::toc.eq(&w.toc),
            articles::word_count.eq(w.word_count),
            articles::reading_time_minutes.eq(w.reading_time_minutes),
            articles::status.eq(&w.status),
            articles::featured.eq(w.featured),
            articles::published_at.eq(published_at),
            articles::cover_image.eq(&w.cover_image),
            articles::seo.eq(&w.seo),
            articles::version.eq(articles::version + 1),
            articles::updated_at.eq(sql::<Timestamptz>("now()")),
        ))
        .execute(conn)
        .map_err(|e| slug_conflict(e, &w.slug))?;
    if cur_tags != tag_ids || cur_authors != author_ids {
        set_links(conn, cur.id, &tag_ids, &author_ids)?;
    }
    if cur.slug != w.slug {
        forget_old_slug(conn, &w.slug)?;
        diesel::insert_into(article_slug_history::table)
            .values((
                article_slug_history::slug.eq(&cur.slug),
                article_slug_history::article_id.eq(cur.id),
            ))
            .on_conflict(article_slug_history::slug)
            .do_update()
            .set(article_slug_history::article_id.eq(cur.id))
            .execute(conn)?;
    }
    Ok(Outcome::Updated(reload(conn, cur.id)?))
}

fn slug_conflict(e: diesel::result::Error, slug: &str) -> WriteError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => WriteError::SlugTaken(slug.to_owned()),
        other => WriteError::Db(other),
    }
}

/// `POST`: a new article; its slug must be free.
pub fn create(conn: &mut PgConnection, w: &ArticleWrite) -> Result<ArticleRecord, WriteError> {
    conn.transaction(|conn| match insert(conn, w)? {
        Some(id) => Ok(reload(conn, id)?),
        None => Err(WriteError::SlugTaken(w.slug.clone())),
    })
}

/// `PUT`: creates the article at `w.slug`, or replaces it. Replacing with identical content writes nothing.
pub fn put(
    conn: &mut PgConnection,
    w: &ArticleWrite,
    precondition: &Precondition,
) -> Result<Outcome, WriteError> {
    conn.transaction(|conn| {
        // Two rounds at most: a writer that loses the race to create the slug replaces the winner's article.
        for _ in 0..2 {
            let current = lock_current(conn, &w.slug)?;
            check(precondition, current.as_ref())?;
            match current {
                Some(cur) => return apply(conn, cur, w),
                None => {
                    if let Some(id) = insert(conn, w)? {
                        return Ok(Outcome::Created(reload(conn, id)?));
                    }
                }
            }
        }
        Err(WriteError::PreconditionFailed)
    })
}

/// `PATCH`: replaces the article now at `slug` (possibly renaming it to `w.slug`).
pub fn update(
    conn: &mut PgConnection,
    slug: &str,
    w: &ArticleWrite,
    precondition: &Precondition,
) -> Result<Outcome, WriteError> {
    conn.transaction(|conn| {
        let current = lock_current(conn, slug)?.ok_or(WriteError::NotFound)?;
        check(precondition, Some(&current))?;
        apply(conn, current, w)
    })
}

/// `DELETE`.
pub fn delete(
    conn: &mut PgConnection,
    slug: &str,
    precondition: &Precondition,
) -> Result<(), WriteError> {
    conn.transaction(|conn| {
        let current = lock_current(conn, slug)?.ok_or(WriteError::NotFound)?;
        check(precondition, Some(&current))?;
        diesel::delete(articles::table.filter(articles::id.eq(current.id))).execute(conn)?;
        Ok(())
    })
}

/// The article at `slug` in any status, for a `PATCH` to start from.
pub fn get_any(conn: &mut PgConnection, slug: &str) -> QueryResult<Option<ArticleRecord>> {
    get(conn, Visibility::Any, slug)
}

/// Bulk path for benchmark corpora: inserts many new articles (with their tags and authors) in one transaction,
/// with multi-row statements. Same rows and links as `create`; no per-article round trips.
pub fn insert_many(conn: &mut PgConnection, writes: &[ArticleWrite]) -> Result<usize, WriteError> {
    conn.transaction(|conn| {
        let mut all_tags: Vec<(String, String)> = Vec::new();
        for w in writes {
            for tag in &w.tags {
                if !all_tags.iter().any(|(s, _)| *s == tag.0) {
                    all_tags.push(tag.clone());
                }
            }
        }
        let tag_ids = resolve_tags(conn, &all_tags)?;
        let mut all_authors: Vec<String> = Vec::new();
        for w in writes {
            for a in &w.authors {
                if !all_authors.contains(a) {
                    all_authors.push(a.clone());
                }
            }
        }
        let author_ids = resolve_authors(conn, &all_authors)?;
        let rows: Vec<_> = writes
            .iter()
            .map(|w| {
                (
                    articles::slug.eq(&w.slug),
                    articles::title.eq(&w.title),
                    articles::summary.eq(w.summary.as_ref().unwrap_or(&w.derived_summary)),
                    articles::summary_derived.eq(w.summary.is_none()),
                    articles::body_markdown.eq(&w.body_markdown),
                    articles::body_html.eq(&w.body_html),
                    articles::body_text.eq(&w.body_text),
                    articles::toc.eq(&w.toc),
                    articles::word_count.eq(w.word_count),
                    articles::reading_time_minutes.eq(w.reading_time_minutes),
                    articles::status.eq(&w.status),
                    articles::featured.eq(w.featured),
                    articles::published_at.eq(w.published_at),
                    (
                        articles::cover_image.eq(&w.cover_image),
                        articles::seo.eq(&w.seo),
                    ),
                )
            })
            .collect();
        let ids: Vec<(Uuid, String)> = diesel::insert_into(articles::table)
            .values(rows)
            .returning((articles::id, articles::slug))
            .get_results(conn)
            .map_err(|e| slug_conflict(e, "(bulk)"))?;
        let mut tag_links = Vec::new();
        let mut author_links = Vec::new();
        for (w, (id, slug)) in writes.iter().zip(&ids) {
            debug_assert_eq!(&w.slug, slug);
            for (i, tag) in w.tags.iter().enumerate() {
                let position = all_tags.iter().position(|(s, _)| *s == tag.0);
                if let Some(tag_id) = position.and_then(|p| tag_ids.get(p)) {
                    tag_links.push((
                        article_tags::article_id.eq(*id),
                        article_tags::tag_id.eq(*tag_id),
                        article_tags::position.eq(i16::try_from(i).unwrap_or(i16::MAX)),
                    ));
                }
            }
            for (i, author) in w.authors.iter().enumerate() {
                if let Some(author_id) = all_authors
                    .iter()
                    .position(|a| a == author)
                    .and_then(|p| author_ids.get(p))
                {
                    author_links.push((
                        article_authors::article_id.eq(*id),
                        article_authors::author_id.eq(*author_id),
                        article_authors::position.eq(i16::try_from(i).unwrap_or(i16::MAX)),
                    ));
                }
            }
        }
        for chunk in tag_links.chunks(5000) {
            diesel::insert_into(article_tags::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in author_links.chunks(5000) {
            diesel::insert_into(article_authors::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok(ids.len())
    })
}
