//! What a search marks: the highlights of a page of results and the titles suggested to a search box, both
//! written by PostgreSQL's `ts_headline` and made safe HTML by `domain::search::mark`.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use uuid::Uuid;

use super::search::{complete, Prepared};
use super::visibility;
use crate::domain::article::Visibility;
use crate::domain::search::{self, Query};

/// Where a result matched, HTML-escaped, with `<mark>` around the matched words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    /// The whole title.
    pub title: String,
    /// Up to two fragments of the body around its best matches (its opening when only the title matched).
    pub body: String,
}

#[derive(QueryableByName)]
struct Marked {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// `column` with `<`, `>` and `&` swapped for characters of `domain::search::mark`: `ts_headline` reads text as
/// HTML and would drop what looks like a tag (`<script>` in a title is text, and must be shown).
fn as_text(column: &str) -> String {
    format!(
        "translate({column}, '<>&', '{}{}{}')",
        search::LESS_THAN,
        search::GREATER_THAN,
        search::AMPERSAND
    )
}

/// The options of `ts_headline`, with the marks `domain::search::mark` turns into elements.
fn headline_options(rest: &str) -> String {
    format!(
        "StartSel=\"{}\", StopSel=\"{}\", {rest}",
        search::MARK_START,
        search::MARK_STOP
    )
}

/// The highlights of `ids` for the search `prepared`. A headline parses all the text it is given (2.5 ms for a
/// body of 1,500 words), so the body's is given a window of `HIGHLIGHT_WINDOW` characters around the first place
/// where a searched word's stem appears (its opening when none does).
pub(super) fn highlights(
    conn: &mut PgConnection,
    prepared: &Prepared,
    ids: &[Uuid],
) -> QueryResult<HashMap<Uuid, Highlight>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Marked> = diesel::sql_query(format!(
        "SELECT a.id, ts_headline('english', {}, q, '{}') AS title, ts_headline('english', {}, q, '{}') AS body \
         FROM articles a CROSS JOIN LATERAL (SELECT coalesce(min(nullif(strpos(lower(left(a.body_text, \
         {HIGHLIGHT_TEXT})), w), 0)), 1) AS at FROM unnest($3::text[]) w) p, to_tsquery('english', $1) q \
         WHERE a.id = ANY($2)",
        as_text("a.title"),
        headline_options("HighlightAll=true"),
        as_text(&format!(
            "substr(a.body_text, greatest(1, p.at - {}), {HIGHLIGHT_WINDOW})",
            HIGHLIGHT_WINDOW / 3
        )),
        headline_options("MaxFragments=2, MaxWords=18, MinWords=8, FragmentDelimiter=\" … \"")
    ))
    .bind::<Text, _>(prepared.any.clone())
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Array<Text>, _>(prepared.stems.clone())
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|m| {
            (
                m.id,
                Highlight {
                    title: search::mark(&m.title),
                    body: search::mark(&m.body),
                },
            )
        })
        .collect())
}

/// How many characters of a body a highlight's window holds.
const HIGHLIGHT_WINDOW: i64 = 400;

/// How much of a body a highlight looks through for a searched word.
const HIGHLIGHT_TEXT: i64 = 20_000;

/// A title for a search box.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Suggestion {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    /// The title, HTML-escaped, with `<mark>` around the words that matched.
    #[diesel(sql_type = Text)]
    pub highlight: String,
}

/// The newest public articles whose title has every word of `text`, the last one as a prefix. The walk is the
/// public timeline's (or, for a rare word, the title index's), and it stops at `limit`.
pub fn suggest(conn: &mut PgConnection, text: &str, limit: i64) -> QueryResult<Vec<Suggestion>> {
    let Some(mut query) = Query::parse(text) else {
        return Ok(Vec::new());
    };
    complete(conn, &mut query)?;
    let Some(tsquery) = query.suggestion() else {
        return Ok(Vec::new());
    };
    let mut rows = titles(conn, &tsquery, limit)?;
    // No title has the word being typed (it may begin a stop word, which no title index holds, or be a lone
    // letter): the titles of the words so far, rather than none while the reader types on.
    if rows.is_empty() {
        if let Some(so_far) = query.suggestion_so_far() {
            rows = titles(conn, &so_far, limit)?;
        }
    }
    for row in &mut rows {
        row.highlight = search::mark(&row.highlight);
    }
    Ok(rows)
}

fn titles(conn: &mut PgConnection, tsquery: &str, limit: i64) -> QueryResult<Vec<Suggestion>> {
    diesel::sql_query(format!(
        "SELECT articles.slug, articles.title, \
         ts_headline('english', {}, to_tsquery('english', $1), '{}') AS highlight \
         FROM articles WHERE {} AND articles.head @@ to_tsquery('english', $1) \
         ORDER BY articles.published_at DESC, articles.id DESC LIMIT $2",
        as_text("articles.title"),
        headline_options("HighlightAll=true"),
        visibility::predicate(Visibility::Public)
    ))
    .bind::<Text, _>(tsquery)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
