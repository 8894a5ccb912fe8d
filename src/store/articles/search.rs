//! Search's part of a listing: the query made ready for SQL (typo corrections looked up in the vocabulary), how
//! its matches are found, and the bounded candidates a relevance ranking reads and their score. What a search
//! marks (highlights, suggestions) is `highlight`.
//!
//! Ranking reads each candidate's vector, so its cost grows with the candidates, not with the blog: a relevance
//! search ranks `BODY_CANDIDATES` matches (the newest; from a lookup, title and summary matches first) and, when
//! a walk can read them cheaply, the newest `HEAD_CANDIDATES` title and summary matches. Below those numbers of matches (any specific query) the ranking is exact; above them (a word
//! on every page of a large blog) it is the best of the newest, which is what a reader of a blog expects anyway.
//!
//! Finding matches has two ways, and a wrong choice costs seconds at a million articles: the full-text index
//! answers every match at once (cheap for a rare word, ruinous for a word on every page: 1,000,000 rows to fetch),
//! while a walk of the timeline tests each row in order and stops at the page (cheap for a common word, ruinous for
//! a rare one). PostgreSQL's planner picks from its estimate of the matches, which it cannot make for a prefix
//! (it assumes 2%) nor for a negation of a common word, so it walked 222,000 rows for `777` as you type. `Way`
//! makes the choice here from a measure, not an estimate: how many of the newest `PROBE_ROWS` visible articles
//! match; and it writes the choice into the SQL, so that the planner cannot take the other.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::visibility;
use crate::domain::article::Visibility;
use crate::domain::search::{self, Corrections, Query};
use crate::store::sql::Sql;

/// How many of the newest title and summary matches a relevance ranking reads.
pub const HEAD_CANDIDATES: i64 = 100;
/// How many of the newest matches anywhere a relevance ranking reads.
pub const BODY_CANDIDATES: i64 = 500;
/// At most this many corrections per typed word.
const CORRECTIONS_EACH: usize = 3;

/// Weights of the vector's parts, as `ts_rank` takes them: body (C) 0.2, summary (B) 0.4, title (A) 1.0.
const WEIGHTS: &str = "'{0.1, 0.2, 0.4, 1.0}'";
/// A match found only through a typo counts this much of an exact one.
const TYPO_FACTOR: &str = "0.3";
/// The words of a query together (as a phrase) count this many times more than scattered.
const TOGETHER_FACTOR: &str = "2";

/// How a statement finds the matches of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Way {
    /// Test each row where the statement reads anyway (a timeline walk): the full-text index is kept out.
    Walk,
    /// Ask the full-text index for every match first (at most `lookup_cap`), then read those rows only.
    Lookup,
}

/// Above this many estimated matches, walking is cheaper than looking up: a walk for `BODY_CANDIDATES` matches
/// reads about `BODY_CANDIDATES * rows / matches` rows, a lookup reads `matches` rows, and each costs about the
/// same per row; they meet at the square root of `BODY_CANDIDATES * rows`.
fn walk_from(rows: f64) -> f64 {
    (BODY_CANDIDATES as f64 * rows.max(1.0)).sqrt()
}

/// A search made ready for SQL.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    /// The `to_tsquery` text every match satisfies (empty when nothing searchable is left: it matches nothing).
    pub matching: String,
    /// How the whole text's vector (`search`) finds the matches.
    search_way: Way,
    /// How the title and summary candidates are found, when they are read on their own (see `candidates`).
    head_way: Option<Way>,
    /// The most rows a lookup reads (four times the walk threshold): bounded when an estimate was far off.
    lookup_cap: i64,
    /// The places in the table (`ctid`s, as text) of the matches, when they were looked up: read once, in the
    /// snapshot of the listing's transaction, for every statement of it.
    found: Vec<String>,
    /// The wanted terms alone (what the rank measures).
    ranked: String,
    /// Any wanted term (what a highlight marks).
    pub(super) any: String,
    /// The openings of the wanted words and their corrections, lower case: where a highlight's window goes.
    pub(super) stems: Vec<String>,
    /// Without corrections, when corrections widened `matching`.
    exact: Option<String>,
    together: Option<String>,
}

#[derive(QueryableByName)]
struct Known {
    #[diesel(sql_type = Text)]
    typed: String,
    #[diesel(sql_type = Text)]
    known: String,
}

/// Parses `text` and looks up the corrections of its longer words: one statement, a trigram index lookup each.
pub(super) fn prepare(
    conn: &mut PgConnection,
    text: &str,
    visibility: Visibility,
) -> QueryResult<Prepared> {
    let Some(mut query) = Query::parse(text) else {
        return Ok(Prepared {
            matching: String::new(),
            search_way: Way::Lookup,
            head_way: None,
            lookup_cap: 0,
            found: Vec::new(),
            ranked: String::new(),
            any: String::new(),
            stems: Vec::new(),
            exact: None,
            together: None,
        });
    };
    complete(conn, &mut query)?;
    let corrections = corrections(conn, &query)?;
    let matching = query.tsquery(&corrections);
    let exact = query.exact();
    let rows = table_rows(conn)?;
    let threshold = walk_from(rows);
    let cap = threshold * 4.0;
    let ranked = query.ranked(&corrections);
    // Below the threshold's worth of articles, every search is a cheap lookup: no probe.
    let probe = |conn: &mut PgConnection| -> QueryResult<Probe> {
        if rows > threshold {
            probe(conn, &matching, &ranked, visibility)
        } else {
            Ok(Probe::default())
        }
    };
    let share = probe(conn)?;
    let search_way = if share.matches * rows > threshold {
        Way::Walk
    } else {
        Way::Lookup
    };
    // A lookup ranks every match (up to its cap) with title and summary matches first: no walk of their own.
    // A walk reads them on their own: by walking when they are common among the matches, by looking the title
    // and summary words up when those are rare enough to read, and not at all otherwise (an excluded word that
    // every title and summary match has would make either read them all for nothing).
    let head_way = match search_way {
        Way::Lookup => None,
        Way::Walk if share.head_matches * rows > threshold => Some(Way::Walk),
        // A phrase's lookup reads every row holding its words (152,000 titles and summaries for `"latency
        // cache"` at 1,000,000 articles) to find the few holding them in order.
        Way::Walk if share.head * rows <= cap && !query.has_phrase() => Some(Way::Lookup),
        Way::Walk => None,
    };
    let mut found = match search_way {
        Way::Lookup => look_up(conn, &matching, cap as i64)?,
        Way::Walk => Vec::new(),
    };
    // The probe sees the newest articles only: a text rare there and common in older ones fills the lookup to its
    // cap, and a cut set (in the table's order) would drop matches. Such a text is walked instead.
    let (search_way, head_way) = if found.len() as f64 >= cap {
        found.clear();
        (Way::Walk, None)
    } else {
        (search_way, head_way)
    };
    Ok(Prepared {
        search_way,
        head_way,
        found,
        lookup_cap: cap as i64,
        exact: (exact != matching).then_some(exact),
        ranked,
        any: query.any(&corrections),
        stems: query.stems(&corrections),
        matching,
        together: query.together(),
    })
}

#[derive(QueryableByName)]
struct Rows {
    #[diesel(sql_type = diesel::sql_types::Double)]
    n: f64,
}

/// How many of the newest articles a probe tests.
const PROBE_ROWS: i64 = 500;

/// How many articles there are, from the stored counters (exact, and known before any statistics are).
fn table_rows(conn: &mut PgConnection) -> QueryResult<f64> {
    let Rows { n } =
        diesel::sql_query("SELECT (published + draft)::float8 AS n FROM article_counts")
            .get_result(conn)?;
    Ok(n)
}

/// What a probe of the newest `PROBE_ROWS` articles found, as shares of them.
#[derive(Debug, Default, QueryableByName)]
struct Probe {
    /// Matches.
    #[diesel(sql_type = diesel::sql_types::Double)]
    matches: f64,
    /// Articles with a wanted term in the title or summary.
    #[diesel(sql_type = diesel::sql_types::Double)]
    head: f64,
    /// Matches with a wanted term in the title or summary.
    #[diesel(sql_type = diesel::sql_types::Double)]
    head_matches: f64,
}

/// Tests the newest `PROBE_ROWS` articles that `visibility` admits.
fn probe(
    conn: &mut PgConnection,
    matching: &str,
    ranked: &str,
    visibility: Visibility,
) -> QueryResult<Probe> {
    diesel::sql_query(format!(
        "SELECT (count(*) FILTER (WHERE m))::float8 / {PROBE_ROWS} AS matches, \
         (count(*) FILTER (WHERE h))::float8 / {PROBE_ROWS} AS head, \
         (count(*) FILTER (WHERE h AND m))::float8 / {PROBE_ROWS} AS head_matches \
         FROM (SELECT articles.search @@ to_tsquery('english', $1) AS m, \
         articles.head @@ to_tsquery('english', $2) AS h FROM articles WHERE {} \
         ORDER BY {} DESC LIMIT {PROBE_ROWS}) p",
        visibility::predicate(visibility),
        visibility::published_key(visibility),
    ))
    .bind::<Text, _>(matching)
    .bind::<Text, _>(ranked)
    .get_result(conn)
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = Array<Text>)]
    places: Vec<String>,
}

/// The places in the table of the matches of `tsquery`, at most `cap` of them, from the full-text index.
fn look_up(conn: &mut PgConnection, tsquery: &str, cap: i64) -> QueryResult<Vec<String>> {
    let Found { places } = diesel::sql_query(
        "SELECT coalesce(array_agg(m.ctid::text), '{}') AS places FROM \
         (SELECT ctid FROM articles WHERE search @@ to_tsquery('english', $1) LIMIT $2) m",
    )
    .bind::<Text, _>(tsquery)
    .bind::<BigInt, _>(cap)
    .get_result(conn)?;
    Ok(places)
}

#[derive(QueryableByName)]
struct Word {
    #[diesel(sql_type = Text)]
    word: String,
}

/// How many known words complete the word being typed, shortest first.
const COMPLETIONS: i64 = 8;

/// Adds to `query` the known words that its word being typed begins (the trigram index serves the `LIKE`).
pub(super) fn complete(conn: &mut PgConnection, query: &mut Query) -> QueryResult<()> {
    let Some(typed) = query.completable() else {
        return Ok(());
    };
    let words: Vec<Word> = diesel::sql_query(
        "SELECT word FROM search_words WHERE word LIKE $1 || '%' AND word <> $1 \
         ORDER BY length(word), word LIMIT $2",
    )
    .bind::<Text, _>(typed.to_owned())
    .bind::<BigInt, _>(COMPLETIONS)
    .load(conn)?;
    query.complete(words.into_iter().map(|w| w.word).collect());
    Ok(())
}

fn corrections(conn: &mut PgConnection, query: &Query) -> QueryResult<Corrections> {
    let typed: Vec<String> = query.correctable().into_iter().map(str::to_owned).collect();
    if typed.is_empty() {
        return Ok(Corrections::new());
    }
    let found: Vec<Known> = diesel::sql_query(
        "SELECT q.typed, w.word AS known FROM unnest($1::text[]) AS q(typed) CROSS JOIN LATERAL \
         (SELECT word FROM search_words WHERE word % q.typed AND word <> q.typed \
          ORDER BY similarity(word, q.typed) DESC, word LIMIT 10) w",
    )
    .bind::<Array<Text>, _>(typed)
    .load(conn)?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for Known { typed, known } in found {
        if search::is_correction(&typed, &known) {
            let list = out.entry(typed).or_default();
            if list.len() < CORRECTIONS_EACH {
                list.push(known);
            }
        }
    }
    Ok(out)
}

impl Prepared {
    /// ` AND` the row matches, found the search's `Way`.
    pub(super) fn filter(&self, sql: &mut Sql) {
        match self.search_way {
            Way::Walk => self.matches(sql, "search", &self.matching, Way::Walk),
            // A TID scan of the places looked up.
            Way::Lookup => {
                sql.push(" AND articles.ctid = ANY(")
                    .bind::<Array<Text>, _>(self.found.clone())
                    .push("::tid[])");
            }
        }
    }

    /// ` AND <vector> @@ <tsquery>`, found by `way`.
    fn matches(&self, sql: &mut Sql, vector: &str, tsquery: &str, way: Way) {
        match way {
            // `IS TRUE` hides the test from the full-text index.
            Way::Walk => sql
                .push(&format!(" AND (articles.{vector} @@ to_tsquery('english', "))
                .bind::<Text, _>(tsquery.to_owned())
                .push(")) IS TRUE"),
            // An init plan: the index's matches once, then those rows by their place in the table (a TID scan:
            // one statement, one snapshot, so the places are the rows').
            Way::Lookup => sql
                .push(&format!(
                    " AND articles.ctid = ANY(ARRAY(SELECT m.ctid FROM articles m WHERE m.{vector} @@ \
                     to_tsquery('english', "
                ))
                .bind::<Text, _>(tsquery.to_owned())
                .push(") LIMIT ")
                .bind::<BigInt, _>(self.lookup_cap)
                .push("))"),
        };
    }

    /// The candidate reads of a relevance ranking, each a `(SELECT articles.id` that `source` completes with its
    /// `FROM … WHERE …` (the search's filter included), then its own condition and order: `BODY_CANDIDATES` of
    /// the newest matches (title and summary matches first, when found by a lookup), and
    /// `HEAD_CANDIDATES` of the newest title and summary matches when they are read alone.
    pub(super) fn candidates(&self, sql: &mut Sql, key: &str, source: impl Fn(&mut Sql)) {
        sql.push("(SELECT articles.id");
        source(sql);
        sql.push(" ORDER BY ");
        // A lookup reads every match anyway: the title and summary matches come first. A walk stops at the
        // newest; an order of its own would read every match.
        if self.search_way == Way::Lookup {
            sql.push("articles.head @@ to_tsquery('english', ")
                .bind::<Text, _>(self.ranked.clone())
                .push(") DESC, ");
        }
        newest(sql, key, BODY_CANDIDATES);
        sql.push(")");
        if let Some(way) = self.head_way {
            sql.push(" UNION (SELECT articles.id");
            source(sql);
            self.matches(sql, "head", &self.ranked, way);
            sql.push(" ORDER BY ");
            newest(sql, key, HEAD_CANDIDATES);
            sql.push(")");
        }
    }

    /// The relevance of the current `articles` row, as a `real`.
    pub(super) fn score(&self, sql: &mut Sql) {
        sql.push(&format!(
            "(ts_rank({WEIGHTS}, articles.search, to_tsquery('english', "
        ))
        .bind::<Text, _>(self.ranked.clone())
        .push("), 1)");
        if let Some(exact) = &self.exact {
            sql.push(" * CASE WHEN articles.search @@ to_tsquery('english', ")
                .bind::<Text, _>(exact.clone())
                .push(&format!(") THEN 1 ELSE {TYPO_FACTOR} END"));
        }
        if let Some(together) = &self.together {
            sql.push(" * CASE WHEN articles.search @@ to_tsquery('english', ")
                .bind::<Text, _>(together.clone())
                .push(&format!(") THEN {TOGETHER_FACTOR} ELSE 1 END"));
        }
        sql.push(")::real");
    }
}

/// `<key> DESC LIMIT n`: the newest `n` rows by `key`.
fn newest(sql: &mut Sql, key: &str, n: i64) {
    sql.push(&format!("{key} DESC LIMIT ")).bind::<BigInt, _>(n);
}
