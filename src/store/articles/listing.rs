//! The one listing query behind `/articles`, `/featured`, tag and author pages and search: visibility, filters,
//! a sort, a page or keyset window, and only the columns the response needs.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, sql};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Float4, Jsonb, Nullable, Text};

use super::keyset;
use super::links;
use super::row::{ArticleHead, ArticleRecord, Row};
use super::visibility;
use crate::db::schema::{article_authors, article_tags, articles, authors, tags};
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
    pub total: i64,
    /// Cursor mode: where the next and previous pages start.
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

/// The opening of the relevance rank; the search text is bound after it, then `))` closes it.
pub(super) const RANK_OPEN: &str = "ts_rank(articles.search, websearch_to_tsquery('english', ";

pub(super) type Boxed<ST> = Box<dyn BoxableExpression<articles::table, Pg, SqlType = ST>>;

fn column_or_null<ST>(wanted: bool, expr: &str) -> Boxed<ST>
where
    ST: diesel::sql_types::SqlType + diesel::sql_types::SingleValue + Send + 'static,
{
    Box::new(sql::<ST>(if wanted { expr } else { "NULL" }))
}

#[allow(clippy::type_complexity)]
pub(super) fn selection(
    include: Include,
    rank: Option<&str>,
) -> (
    diesel::dsl::AsSelect<ArticleHead, Pg>,
    Boxed<Nullable<Text>>,
    Boxed<Nullable<Text>>,
    Boxed<Nullable<Jsonb>>,
    Boxed<Nullable<Float4>>,
) {
    (
        ArticleHead::as_select(),
        column_or_null(include.body_markdown, "articles.body_markdown"),
        column_or_null(include.body_html, "articles.body_html"),
        column_or_null(include.toc, "articles.toc"),
        match rank {
            Some(q) => Box::new(
                sql::<Nullable<Float4>>(RANK_OPEN)
                    .bind::<Text, _>(q.to_owned())
                    .sql("))"),
            ),
            None => Box::new(sql::<Nullable<Float4>>("NULL")),
        },
    )
}

/// Applies visibility and filters to any query over `articles`.
pub(super) fn filtered<'a, ST: 'a>(
    mut q: articles::BoxedQuery<'a, Pg, ST>,
    visibility: Visibility,
    f: &Filters,
) -> articles::BoxedQuery<'a, Pg, ST> {
    q = q.filter(sql::<Bool>(&visibility::predicate(visibility)));
    // Articles with any of these tags (one slug for each of `tags_all`).
    let tagged = |slugs: Vec<String>| {
        article_tags::table
            .inner_join(tags::table)
            .filter(tags::slug.eq_any(slugs))
            .select(article_tags::article_id)
    };
    if !f.tags_any.is_empty() {
        q = q.filter(articles::id.eq_any(tagged(f.tags_any.clone())));
    }
    for tag in &f.tags_all {
        q = q.filter(articles::id.eq_any(tagged(vec![tag.clone()])));
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

/// One listing request: the matching rows of the window and the total.
pub fn list(conn: &mut PgConnection, query: &ListQuery) -> Result<Page> {
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
            return Err(Error::BadCursor);
        }
        q = q.filter(keyset::after(sort, visibility, search, c)?);
    }
    let backwards = cursor.is_some_and(|c| c.direction == Direction::Before);
    q = keyset::order(q, sort, visibility, search, sort.descending() != backwards);

    let limit = match window {
        Window::Page { .. } => per_page,
        Window::Cursor { .. } => per_page + 1,
    };
    if let Window::Page { page, .. } = window {
        q = q.offset((page - 1).saturating_mul(per_page));
    }
    let mut rows: Vec<ArticleRecord> = q
        .limit(limit)
        .load::<Row>(conn)?
        .into_iter()
        .map(ArticleRecord::from_row)
        .collect();
    links::attach(conn, &mut rows, *include)?;
    if let Window::Page { .. } = window {
        return Ok(Page {
            rows,
            total,
            next: None,
            prev: None,
        });
    }
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
