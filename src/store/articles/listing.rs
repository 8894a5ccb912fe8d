//! The one listing query behind `/articles`, `/featured`, tag and author pages and search.
//!
//! A listing is a few reads, each bounded by the page rather than by the blog: one statement walks the timeline
//! index of the articles, or of one tag or author, stops at the page's end and joins the cards of those ids only;
//! another loads their tags and authors. Its total comes from the stored counters when one answers the filters (all,
//! featured, one tag, one author), and otherwise from a count that stops at `COUNT_CAP` and says so.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text, Timestamptz};
use diesel::IntoSql;
use uuid::Uuid;

use super::keyset;
use super::links;
use super::row::{ArticleHead, ArticleRecord, Card, Row, HEAD_COLUMNS};
use super::visibility;
use crate::db::schema::articles;
use crate::domain::article::Visibility;
use crate::domain::cursor::{Cursor, Direction};
use crate::store::sql::Sql;
use crate::store::{Error, Result};

/// A total no counter answers is counted up to here, then reported as "at least this many". The count walks the
/// same index as the page, so its cost is this many matches, whatever the size of the blog.
pub const COUNT_CAP: i64 = 100;

/// How many tags of `tag_all` get a lookup of their own; the others share one clause (each lookup is a join the
/// planner orders: 8 of them cost 28 ms of planning).
const EXISTS_EACH: usize = 3;

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

    pub(super) fn descending(self) -> bool {
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

/// The expensive parts a response needs; the head is always read.
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

/// How many rows match: exact, or at least `count` when counting stopped at `COUNT_CAP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub exact: bool,
}

pub struct Page {
    pub rows: Vec<ArticleRecord>,
    pub total: Total,
    /// Cursor mode: where the next and previous pages start.
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

/// The opening of the relevance rank; the search text is bound after it, then `))` closes it.
const RANK_OPEN: &str = "ts_rank(articles.search, websearch_to_tsquery('english', ";

pub(super) type Boxed<ST> = Box<dyn BoxableExpression<articles::table, Pg, SqlType = ST>>;

/// The columns a read takes: the head, then the optional parts, each a typed NULL unless wanted (a bound NULL keeps
/// the statement cacheable, unlike a SQL literal).
#[allow(clippy::type_complexity)]
pub(super) fn selection(
    include: Include,
) -> (
    diesel::dsl::AsSelect<ArticleHead, Pg>,
    Boxed<Nullable<Text>>,
    Boxed<Nullable<Text>>,
    Boxed<Nullable<Jsonb>>,
) {
    (
        ArticleHead::as_select(),
        if include.body_markdown {
            Box::new(articles::body_markdown.nullable())
        } else {
            Box::new(None::<String>.into_sql::<Nullable<Text>>())
        },
        if include.body_html {
            Box::new(articles::body_html.nullable())
        } else {
            Box::new(None::<String>.into_sql::<Nullable<Text>>())
        },
        if include.toc {
            Box::new(articles::toc.nullable())
        } else {
            Box::new(None::<serde_json::Value>.into_sql::<Nullable<Jsonb>>())
        },
    )
}

/// Restricts any query over `articles` to what `visibility` admits.
pub(super) fn visible<'a, ST: 'a>(
    q: articles::BoxedQuery<'a, Pg, ST>,
    visibility: Visibility,
) -> articles::BoxedQuery<'a, Pg, ST> {
    q.filter(sql::<Bool>(&visibility::predicate(visibility)))
}

/// The cards of `ids`, in the order of `ids`, with what `include` asks for.
pub(super) fn cards(
    conn: &mut PgConnection,
    ids: &[Uuid],
    include: Include,
) -> QueryResult<Vec<ArticleRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<ArticleRecord> = articles::table
        .select(selection(include))
        .filter(articles::id.eq_any(ids))
        .into_boxed()
        .load::<Row>(conn)?
        .into_iter()
        .map(ArticleRecord::from_row)
        .collect();
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.head.id));
    links::attach(conn, &mut rows, include)?;
    Ok(rows)
}

/// Where a window starts reading.
#[derive(Debug, Clone, Copy)]
enum Driver<'a> {
    /// The articles table, through the index of the sort.
    Articles,
    /// The timeline of one tag: this one, or the one of these with the fewest articles.
    Tag(&'a [String]),
    /// The timeline of one author.
    Author(&'a str),
}

/// A listing query made into SQL: where it reads, what it filters, how it sorts.
struct Shape<'a> {
    q: &'a ListQuery,
    driver: Driver<'a>,
    /// What the view admits, said of a link (`l`): set whenever the driver is a timeline.
    link_visible: String,
}

impl<'a> Shape<'a> {
    fn of(q: &'a ListQuery) -> Shape<'a> {
        let f = &q.filters;
        let by_time = matches!(q.sort, Sort::PublishedDesc | Sort::PublishedAsc);
        let link_visible = visibility::link_predicate(q.visibility, "l").filter(|_| by_time);
        let driver = if link_visible.is_none() {
            Driver::Articles
        } else if !f.tags_all.is_empty() {
            Driver::Tag(&f.tags_all)
        } else if f.tags_any.len() == 1 {
            Driver::Tag(&f.tags_any)
        } else if let Some(author) = &f.author {
            Driver::Author(author)
        } else {
            Driver::Articles
        };
        Shape {
            q,
            driver,
            link_visible: link_visible.unwrap_or_default(),
        }
    }

    fn id(&self) -> &'static str {
        match self.driver {
            Driver::Articles => "articles.id",
            Driver::Tag(_) | Driver::Author(_) => "l.article_id",
        }
    }

    /// A timeline driver reads `articles` only for filters its link cannot answer.
    fn reads_articles(&self) -> bool {
        matches!(self.driver, Driver::Articles)
            || self.q.filters.featured.is_some()
            || self.q.filters.q.is_some()
    }

    /// The publication time column: the link carries it as `listed_at`.
    fn published_column(&self) -> &'static str {
        match self.driver {
            Driver::Articles => "articles.published_at",
            Driver::Tag(_) | Driver::Author(_) => "l.listed_at",
        }
    }

    fn search(&self) -> String {
        self.q.filters.q.clone().unwrap_or_default()
    }

    /// The sort key's expression.
    fn key(&self, sql: &mut Sql) {
        match self.q.sort {
            Sort::PublishedDesc | Sort::PublishedAsc => sql.push(match self.driver {
                Driver::Articles => visibility::published_key(self.q.visibility),
                Driver::Tag(_) | Driver::Author(_) => "l.listed_at",
            }),
            Sort::UpdatedDesc => sql.push("articles.updated_at"),
            Sort::Title => sql.push("articles.title"),
            Sort::Relevance => sql
                .push(RANK_OPEN)
                .bind::<Text, _>(self.search())
                .push("))"),
        };
    }

    /// `FROM … WHERE …`: the driver, the visibility and every filter.
    fn source(&self, sql: &mut Sql) {
        let v = self.q.visibility;
        let f = &self.q.filters;
        let id = self.id();
        let (link, fk, table) = match self.driver {
            Driver::Articles => {
                sql.push(" FROM articles WHERE ")
                    .push(&visibility::predicate(v));
                ("", "", "")
            }
            Driver::Tag(_) => ("article_tags", "tag_id", "tags"),
            Driver::Author(_) => ("article_authors", "author_id", "authors"),
        };
        if !link.is_empty() {
            sql.push(&format!(" FROM {link} l"));
            if self.reads_articles() {
                sql.push(" JOIN articles ON articles.id = l.article_id");
            }
            sql.push(&format!(
                " WHERE l.{fk} = (SELECT id FROM {table} WHERE slug "
            ));
            match self.driver {
                Driver::Tag([one]) => {
                    sql.push("= ").bind::<Text, _>(one.clone());
                }
                Driver::Author(one) => {
                    sql.push("= ").bind::<Text, _>(one.to_owned());
                }
                Driver::Tag(some) => {
                    // The rarest of the tags, and none at all when one of them does not exist (nothing can match;
                    // the walk must not read a whole timeline to find that out).
                    let mut unique = some.to_vec();
                    unique.sort();
                    unique.dedup();
                    let wanted = i64::try_from(unique.len()).unwrap_or(i64::MAX);
                    sql.push("= ANY(")
                        .bind::<Array<Text>, _>(unique.clone())
                        .push(") AND (SELECT count(*) FROM tags WHERE slug = ANY(")
                        .bind::<Array<Text>, _>(unique)
                        .push(")) = ")
                        .bind::<BigInt, _>(wanted)
                        .push(" ORDER BY listed_count, id LIMIT 1");
                }
                Driver::Articles => {}
            }
            sql.push(") AND ").push(&self.link_visible);
            if self.reads_articles() {
                sql.push(" AND ").push(&visibility::predicate(v));
            }
        }
        // Each probe is one primary-key lookup: the slugs become ids once per statement (an init plan).
        let tagged = |sql: &mut Sql| {
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM article_tags x WHERE x.article_id = {id} AND x.tag_id "
            ));
        };
        let drives_any =
            matches!(self.driver, Driver::Tag(t) if f.tags_all.is_empty() && t.len() == 1);
        if !f.tags_any.is_empty() && !drives_any {
            tagged(sql);
            sql.push("= ANY(ARRAY(SELECT id FROM tags WHERE slug = ANY(")
                .bind::<Array<Text>, _>(f.tags_any.clone())
                .push("))))");
        }
        // Every tag of `tags_all` (each once), one key lookup each. Past 3 tags, the rest share one clause, so
        // that the number of distinct statement texts stays small whatever a caller sends. The driving tag needs
        // no check when it is the only one.
        let mut all = f.tags_all.clone();
        all.sort();
        all.dedup();
        let drives_all = matches!(self.driver, Driver::Tag(_)) && all.len() == 1;
        if !drives_all {
            let (each, rest) = all.split_at(all.len().min(EXISTS_EACH));
            for tag in each {
                tagged(sql);
                sql.push("= (SELECT id FROM tags WHERE slug = ")
                    .bind::<Text, _>(tag.clone())
                    .push("))");
            }
            if !rest.is_empty() {
                let wanted = i64::try_from(rest.len()).unwrap_or(i64::MAX);
                sql.push(" AND (SELECT count(*) FROM tags WHERE slug = ANY(")
                    .bind::<Array<Text>, _>(rest.to_vec())
                    .push(")) = ")
                    .bind::<BigInt, _>(wanted)
                    .push(" AND NOT EXISTS (SELECT 1 FROM unnest(ARRAY(SELECT id FROM tags WHERE slug = ANY(")
                    .bind::<Array<Text>, _>(rest.to_vec())
                    .push(&format!(
                        "))) t(id) WHERE NOT EXISTS (SELECT 1 FROM article_tags x \
                         WHERE x.article_id = {id} AND x.tag_id = t.id))"
                    ));
            }
        }
        if let (Some(author), false) = (&f.author, matches!(self.driver, Driver::Author(_))) {
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = {id} \
                 AND x.author_id = (SELECT id FROM authors WHERE slug = "
            ))
            .bind::<Text, _>(author.clone())
            .push("))");
        }
        // A literal, not a bind: a prepared statement's generic plan can then still use the featured index.
        match f.featured {
            Some(true) => {
                sql.push(" AND articles.featured");
            }
            Some(false) => {
                sql.push(" AND NOT articles.featured");
            }
            None => {}
        }
        if let Some(text) = &f.q {
            sql.push(" AND articles.search @@ websearch_to_tsquery('english', ")
                .bind::<Text, _>(text.clone())
                .push(")");
        }
        if let Some(after) = f.published_after {
            sql.push(&format!(" AND {} >= ", self.published_column()))
                .bind::<Timestamptz, _>(after);
        }
        if let Some(before) = f.published_before {
            sql.push(&format!(" AND {} < ", self.published_column()))
                .bind::<Timestamptz, _>(before);
        }
    }

    /// The cards of one window, in order, in one statement: the window's ids (and ranks) from the driver's index,
    /// then the articles of those ids only.
    fn page(&self, cursor: Option<&Cursor>, limit: i64, offset: i64) -> Result<Sql> {
        let include = self.q.include;
        let or_null = |wanted: bool, column: &str, null: &str| {
            if wanted {
                column.to_owned()
            } else {
                null.to_owned()
            }
        };
        let mut sql =
            Sql::new(&format!(
            "SELECT {HEAD_COLUMNS}, {} AS body_markdown, {} AS body_html, {} AS toc, w.rank FROM (",
            or_null(include.body_markdown, "articles.body_markdown", "NULL::text"),
            or_null(include.body_html, "articles.body_html", "NULL::text"),
            or_null(include.toc, "articles.toc", "NULL::jsonb"),
        ));
        self.window(&mut sql, cursor, limit, offset)?;
        let backwards = cursor.is_some_and(|c| c.direction == Direction::Before);
        let dir = if self.q.sort.descending() != backwards {
            " DESC"
        } else {
            " ASC"
        };
        // The window's order, said of the article itself (a link's `listed_at` is its article's `published_at`).
        let key = match self.q.sort {
            Sort::PublishedDesc | Sort::PublishedAsc => {
                visibility::published_key(self.q.visibility)
            }
            Sort::UpdatedDesc => "articles.updated_at",
            Sort::Title => "articles.title",
            Sort::Relevance => "w.rank",
        };
        sql.push(&format!(
            ") w JOIN articles ON articles.id = w.id ORDER BY {key}{dir}, articles.id{dir}"
        ));
        Ok(sql.done())
    }

    /// Appends the ids (and ranks) of one window.
    fn window(
        &self,
        sql: &mut Sql,
        cursor: Option<&Cursor>,
        limit: i64,
        offset: i64,
    ) -> Result<()> {
        let id = self.id();
        let relevance = self.q.sort == Sort::Relevance;
        sql.push(&format!("SELECT {id} AS id, "));
        if relevance {
            self.key(sql);
        } else {
            sql.push("NULL::real");
        }
        sql.push(" AS rank");
        self.source(sql);
        if let Some(c) = cursor {
            sql.push(" AND ");
            keyset::after(sql, self.q.sort, c, |s| self.key(s), id)?;
        }
        let backwards = cursor.is_some_and(|c| c.direction == Direction::Before);
        let dir = if self.q.sort.descending() != backwards {
            " DESC"
        } else {
            " ASC"
        };
        sql.push(" ORDER BY ");
        if relevance {
            sql.push("rank");
        } else {
            self.key(sql);
        }
        sql.push(&format!("{dir}, {id}{dir} LIMIT "))
            .bind::<BigInt, _>(limit);
        if offset > 0 {
            sql.push(" OFFSET ").bind::<BigInt, _>(offset);
        }
        Ok(())
    }

    /// The matching rows, counted up to `COUNT_CAP + 1`.
    fn capped_count(&self) -> Sql {
        let mut sql = Sql::new("SELECT count(*) AS n FROM (SELECT 1");
        self.source(&mut sql);
        sql.push(" LIMIT ")
            .bind::<BigInt, _>(COUNT_CAP + 1)
            .push(") c");
        sql.done()
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The total a stored counter answers, when one does.
fn counted(q: &ListQuery) -> Option<Sql> {
    // Every filter is named here, so that a new one cannot be ignored by a counter that does not know it.
    let Filters {
        tags_any,
        tags_all,
        author,
        featured,
        q: search,
        published_after,
        published_before,
    } = &q.filters;
    if search.is_some()
        || published_after.is_some()
        || published_before.is_some()
        || tags_any.len() + tags_all.len() > 1
    {
        return None;
    }
    let one_tag = tags_any.first().or(tags_all.first());
    let scheduled = visibility::predicate(Visibility::Scheduled);
    match (q.visibility, one_tag, author, *featured) {
        (Visibility::Public, None, None, None) => Some(Sql::new(&format!(
            "SELECT c.published - (SELECT count(*) FROM articles WHERE {scheduled}) AS n FROM article_counts c"
        ))),
        (Visibility::Public, None, None, Some(true)) => Some(Sql::new(&format!(
            "SELECT c.featured - (SELECT count(*) FROM articles WHERE {scheduled} AND articles.featured) AS n \
             FROM article_counts c"
        ))),
        (Visibility::Public, None, None, Some(false)) => Some(Sql::new(&format!(
            "SELECT c.published - c.featured - (SELECT count(*) FROM articles WHERE {scheduled} AND NOT articles.featured) \
             AS n FROM article_counts c"
        ))),
        (Visibility::Public, Some(tag), None, None) => Some(
            Sql::new(&format!(
                "SELECT COALESCE((SELECT {} FROM tags WHERE slug = ",
                visibility::public_count("tags", "article_tags", "tag_id")
            ))
            .bind::<Text, _>(tag.clone())
            .push("), 0) AS n")
            .done(),
        ),
        (Visibility::Public, None, Some(author), None) => Some(
            Sql::new(&format!(
                "SELECT COALESCE((SELECT {} FROM authors WHERE slug = ",
                visibility::public_count("authors", "article_authors", "author_id")
            ))
            .bind::<Text, _>(author.clone())
            .push("), 0) AS n")
            .done(),
        ),
        (Visibility::Draft, None, None, None) => {
            Some(Sql::new("SELECT draft AS n FROM article_counts"))
        }
        (Visibility::Any, None, None, None) => {
            Some(Sql::new("SELECT published + draft AS n FROM article_counts"))
        }
        _ => None,
    }
}

fn total(conn: &mut PgConnection, q: &ListQuery, shape: &Shape<'_>) -> QueryResult<Total> {
    if let Some(sql) = counted(q) {
        let Count { n } = sql.get_result(conn)?;
        return Ok(Total {
            count: n,
            exact: true,
        });
    }
    let Count { n } = shape.capped_count().get_result(conn)?;
    Ok(if n > COUNT_CAP {
        Total {
            count: COUNT_CAP,
            exact: false,
        }
    } else {
        Total {
            count: n,
            exact: true,
        }
    })
}

/// One listing request: the matching rows of the window and the total. The cards come from one statement, so a
/// card is visible by the same snapshot that found it; the total is read beside it (a write committing between
/// the two can make it differ by that write).
pub fn list(conn: &mut PgConnection, query: &ListQuery) -> Result<Page> {
    let shape = Shape::of(query);
    let sort = query.sort;
    let total = total(conn, query, &shape)?;
    let (per_page, cursor) = match &query.window {
        Window::Page { per_page, .. } => (*per_page, None),
        Window::Cursor { cursor, per_page } => (*per_page, cursor.as_ref()),
    };
    if let Some(c) = cursor {
        if c.sort != sort.name() {
            return Err(Error::BadCursor);
        }
    }
    let (limit, offset) = match &query.window {
        Window::Page { page, .. } => (per_page, (page - 1).saturating_mul(per_page)),
        Window::Cursor { .. } => (per_page + 1, 0),
    };
    let mut rows: Vec<ArticleRecord> = shape
        .page(cursor, limit, offset)?
        .load::<Card>(conn)?
        .into_iter()
        .map(ArticleRecord::from)
        .collect();
    links::attach(conn, &mut rows, query.include)?;
    if let Window::Page { .. } = query.window {
        return Ok(Page {
            rows,
            total,
            next: None,
            prev: None,
        });
    }
    let backwards = cursor.is_some_and(|c| c.direction == Direction::Before);
    let more = rows.len() as i64 > per_page;
    rows.truncate(usize::try_from(per_page).unwrap_or(0));
    if backwards {
        rows.reverse();
    }
    let boundary = |row: &ArticleRecord, direction| Cursor {
        sort: sort.name().to_owned(),
        direction,
        key: keyset::sort_key(sort, row),
        id: row.head.id,
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
