//! The total of a listing: from the stored counters when one answers the filters (all, featured, one tag, one
//! author; drafts or every status with a token), otherwise a count that stops at `COUNT_CAP` and says so.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::listing::{Filters, ListQuery};
use super::shape::Shape;
use super::visibility;
use crate::domain::article::Visibility;
use crate::store::sql::Sql;

/// A total no counter answers is counted up to here, then reported as "at least this many". The count walks the
/// same index as the page, so its cost is this many matches, whatever the size of the blog.
pub const COUNT_CAP: i64 = 100;

/// How many rows match: exact, or at least `count` when counting stopped at `COUNT_CAP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub exact: bool,
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
        (Visibility::Public, Some(tag), None, None) => {
            Some(one_public_count("tags", "article_tags", "tag_id", tag))
        }
        (Visibility::Public, None, Some(author), None) => Some(one_public_count(
            "authors",
            "article_authors",
            "author_id",
            author,
        )),
        (Visibility::Draft, None, None, None) => {
            Some(Sql::new("SELECT draft AS n FROM article_counts"))
        }
        (Visibility::Any, None, None, None) => {
            Some(Sql::new("SELECT published + draft AS n FROM article_counts"))
        }
        _ => None,
    }
}

pub(super) fn total(
    conn: &mut PgConnection,
    q: &ListQuery,
    shape: &Shape<'_>,
) -> QueryResult<Total> {
    if let Some(sql) = counted(q) {
        let Count { n } = sql.get_result(conn)?;
        return Ok(Total {
            count: n,
            exact: true,
        });
    }
    let Count { n } = shape.capped_count().get_result(conn)?;
    Ok(Total {
        count: n.min(COUNT_CAP),
        exact: n <= COUNT_CAP,
    })
}

/// The public articles of the tag or author at `slug` (0 when there is none).
fn one_public_count(table: &str, link: &str, fk: &str, slug: &str) -> Sql {
    Sql::new(&format!(
        "SELECT COALESCE((SELECT {} FROM {table} WHERE slug = ",
        visibility::public_count(table, link, fk)
    ))
    .bind::<Text, _>(slug.to_owned())
    .push("), 0) AS n")
    .done()
}
