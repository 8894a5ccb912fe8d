//! Keyset windows: the sort key of a row as cursor text, and the row comparison a cursor stands for (the id breaks
//! ties, so a walk never skips nor repeats a row).

use chrono::{DateTime, Utc};
use diesel::sql_types::{Float4, Text, Timestamptz};

use super::listing::Sort;
use super::row::ArticleRecord;
use crate::domain::cursor::{Cursor, Direction};
use crate::store::sql::Sql;
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

/// Appends `(key, id) < (cursor key, cursor id)` (or `>`, as the sort and the cursor's direction need) to `sql`;
/// `key` appends the sort key's expression.
pub(super) fn after(
    sql: &mut Sql,
    sort: Sort,
    cursor: &Cursor,
    key: impl Fn(&mut Sql),
    id: &str,
) -> Result<()> {
    let forward = cursor.direction == Direction::After;
    let op = if sort.descending() == forward {
        "<"
    } else {
        ">"
    };
    sql.push("(");
    key(sql);
    sql.push(&format!(", {id}) {op} ("));
    match sort {
        Sort::PublishedDesc | Sort::PublishedAsc | Sort::UpdatedDesc => {
            let at = DateTime::parse_from_rfc3339(&cursor.key)
                .map_err(|_| Error::BadCursor)?
                .with_timezone(&Utc);
            sql.bind::<Timestamptz, _>(at);
        }
        Sort::Title => {
            sql.bind::<Text, _>(cursor.key.clone());
        }
        Sort::Relevance => {
            let rank: f32 = cursor.key.parse().map_err(|_| Error::BadCursor)?;
            sql.bind::<Float4, _>(rank);
        }
    }
    sql.push(", ")
        .bind::<diesel::sql_types::Uuid, _>(cursor.id)
        .push(")");
    Ok(())
}
