//! The one listing query behind `/articles`, `/featured`, tag and author pages and search.
//!
//! A listing is a few reads, each bounded by the page rather than by the blog: one statement walks the timeline
//! index of the articles, or of one tag or author, stops at the page's end and joins the cards of those ids only;
//! another loads their tags and authors (the SQL is built by `shape`). Its total comes from `totals`.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Jsonb, Nullable, Text};
use diesel::IntoSql;
use uuid::Uuid;

use super::highlight;
use super::keyset;
use super::links;
use super::row::{ArticleHead, ArticleRecord, Card, Row};
use super::search;
use super::shape::Shape;
use super::totals::{self, Total};
use super::visibility;
use crate::db::schema::articles;
use crate::domain::article::Visibility;
use crate::domain::cursor::{Cursor, Direction};
use crate::store::{Error, Result};

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

pub struct Page {
    pub rows: Vec<ArticleRecord>,
    pub total: Total,
    /// Cursor mode: where the next and previous pages start.
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

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

/// The cards of those of `ids` that `visibility` admits, with their tags and authors, in the order of `ids`.
pub fn visible_cards(
    conn: &mut PgConnection,
    visibility: Visibility,
    ids: &[Uuid],
) -> QueryResult<Vec<ArticleRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let include = Include {
        tags: true,
        authors: true,
        ..Include::default()
    };
    let mut rows: Vec<ArticleRecord> = visible(
        articles::table
            .select(selection(include))
            .filter(articles::id.eq_any(ids))
            .into_boxed(),
        visibility,
    )
    .load::<Row>(conn)?
    .into_iter()
    .map(ArticleRecord::from_row)
    .collect();
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.head.id));
    links::attach(conn, &mut rows, include)?;
    Ok(rows)
}

/// One listing request: the matching rows of the window and the total. The cards come from one statement, so a
/// card is visible by the same snapshot that found it; the total is read beside it (a write committing between
/// the two can make it differ by that write).
pub fn list(conn: &mut PgConnection, query: &ListQuery) -> Result<Page> {
    // A search looks its matches up once and hands their places in the table to each statement: one snapshot
    // for all of them keeps those places the rows'.
    if query.filters.q.is_some() {
        return conn
            .build_transaction()
            .read_only()
            .repeatable_read()
            .run(|conn| list_in(conn, query));
    }
    list_in(conn, query)
}

fn list_in(conn: &mut PgConnection, query: &ListQuery) -> Result<Page> {
    let mut all_tags = query.filters.tags_all.clone();
    all_tags.sort();
    all_tags.dedup();
    let prepared = match &query.filters.q {
        Some(text) => Some(search::prepare(conn, text, query.visibility)?),
        None => None,
    };
    let shape = Shape::of(query, &all_tags, prepared.as_ref());
    let sort = query.sort;
    let total = totals::total(conn, query, &shape)?;
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
    if let Some(prepared) = &prepared {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.head.id).collect();
        let mut marked = highlight::highlights(conn, prepared, &ids)?;
        for row in &mut rows {
            row.highlight = marked.remove(&row.head.id);
        }
    }
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
