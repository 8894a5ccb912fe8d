//! Keyset windows: the sort key of a row as cursor text, the row comparison a cursor stands for, and the ORDER BY
//! of each sort (the id breaks ties, so a walk never skips nor repeats a row).

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Float4, Text, Timestamptz};

use super::listing::{Boxed, Sort};
use super::row::ArticleRecord;
use super::visibility;
use crate::db::schema::articles;
use crate::domain::article::Visibility;
use crate::domain::cursor::{Cursor, Direction};
use crate::store::{Error, Result};

/// The sort key of a row as cursor text.
pub(super) fn sort_key(sort: Sort, row: &ArticleRecord) -> String {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let head = &row.head;
    match sort {
        // Matches `visibility::published_key`: rows without a date sort by creation.
        Sort::PublishedDesc | Sort::PublishedAsc => {
            time(head.published_at.unwrap_or(head.created_at))
        }
        Sort::UpdatedDesc => time(head.updated_at),
        Sort::Title => head.title.clone(),
        Sort::Relevance => row.rank.unwrap_or(0.0).to_string(),
    }
}

/// The SQL text of the sort's key expression (for relevance, the rank's prefix: the query is bound after it).
fn key_expr(sort: Sort, visibility: Visibility) -> &'static str {
    match sort {
        Sort::PublishedDesc | Sort::PublishedAsc => visibility::published_key(visibility),
        Sort::UpdatedDesc => "articles.updated_at",
        Sort::Title => "articles.title",
        Sort::Relevance => super::listing::RANK_OPEN,
    }
}

/// `(key, id) < (cursor key, cursor id)` or `>`, as the sort and the cursor's direction need.
pub(super) fn after(
    sort: Sort,
    visibility: Visibility,
    q: Option<&str>,
    cursor: &Cursor,
) -> Result<Boxed<Bool>> {
    let forward = cursor.direction == Direction::After;
    let op = if sort.descending() == forward {
        "<"
    } else {
        ">"
    };
    let tail = format!(", articles.id) {op} (");
    let id = cursor.id;
    let expr = key_expr(sort, visibility);
    Ok(match sort {
        Sort::PublishedDesc | Sort::PublishedAsc | Sort::UpdatedDesc => {
            let key = DateTime::parse_from_rfc3339(&cursor.key)
                .map_err(|_| Error::BadCursor)?
                .with_timezone(&Utc);
            Box::new(
                sql::<Bool>(&format!("({expr}{tail}"))
                    .bind::<Timestamptz, _>(key)
                    .sql(", ")
                    .bind::<diesel::sql_types::Uuid, _>(id)
                    .sql(")"),
            )
        }
        Sort::Title => Box::new(
            sql::<Bool>(&format!("({expr}{tail}"))
                .bind::<Text, _>(cursor.key.clone())
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(id)
                .sql(")"),
        ),
        Sort::Relevance => {
            let key: f32 = cursor.key.parse().map_err(|_| Error::BadCursor)?;
            Box::new(
                sql::<Bool>(&format!("({expr}"))
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

/// Orders `q` by the sort's key and then the id, both descending or both ascending.
pub(super) fn order<'a, ST: 'a>(
    q: articles::BoxedQuery<'a, Pg, ST>,
    sort: Sort,
    visibility: Visibility,
    search: Option<&str>,
    descending: bool,
) -> articles::BoxedQuery<'a, Pg, ST> {
    let dir = if descending { " DESC" } else { " ASC" };
    let expr = key_expr(sort, visibility);
    let q = match sort {
        Sort::Relevance => q.order_by(
            sql::<Text>(expr)
                .bind::<Text, _>(search.unwrap_or_default().to_owned())
                .sql(&format!(")){dir}")),
        ),
        _ => q.order_by(sql::<Text>(&format!("{expr}{dir}"))),
    };
    if descending {
        q.then_order_by(articles::id.desc())
    } else {
        q.then_order_by(articles::id.asc())
    }
}
