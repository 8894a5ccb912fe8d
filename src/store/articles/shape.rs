//! A listing query made into SQL (`Shape`): where it reads (the articles' index, or the timeline of one tag or
//! author), what it filters, how it sorts, the page of cards it answers, and the capped count of its matches.

use diesel::sql_types::{Array, BigInt, Text, Timestamptz};

use super::keyset;
use super::listing::{ListQuery, Sort};
use super::row::HEAD_COLUMNS;
use super::search::Prepared;
use super::totals::COUNT_CAP;
use super::visibility;
use crate::domain::cursor::{Cursor, Direction};
use crate::store::sql::Sql;
use crate::store::Result;

/// How many tags of `tag_all` get a lookup of their own; the others share one clause (each lookup is a join the
/// planner orders: 8 of them cost 28 ms of planning).
const EXISTS_EACH: usize = 3;

/// Where a window starts reading.
#[derive(Debug, Clone, Copy)]
enum Driver<'a> {
    /// The articles table, through the index of the sort.
    Articles,
    /// The timeline of one tag: this one, or the one of these (distinct, sorted) with the fewest articles.
    Tag(&'a [String]),
    /// The timeline of one author.
    Author(&'a str),
}

/// A listing query made into SQL: where it reads, what it filters, how it sorts.
pub(super) struct Shape<'a> {
    q: &'a ListQuery,
    /// `tags_all`, each tag once, sorted (a repeated tag is the same condition).
    all_tags: &'a [String],
    driver: Driver<'a>,
    /// What the view admits, said of a link (`l`): set whenever the driver is a timeline.
    link_visible: String,
    /// The search, made ready (`q`).
    search: Option<&'a Prepared>,
}

impl<'a> Shape<'a> {
    /// `all_tags` is the query's `tags_all`, sorted and without repeats; `search` is its `q`, prepared.
    pub(super) fn of(
        q: &'a ListQuery,
        all_tags: &'a [String],
        search: Option<&'a Prepared>,
    ) -> Shape<'a> {
        let f = &q.filters;
        let by_time = matches!(q.sort, Sort::PublishedDesc | Sort::PublishedAsc);
        let link_visible = visibility::link_predicate(q.visibility, "l").filter(|_| by_time);
        let driver = if link_visible.is_none() {
            Driver::Articles
        } else if !all_tags.is_empty() {
            Driver::Tag(all_tags)
        } else if f.tags_any.len() == 1 {
            Driver::Tag(&f.tags_any)
        } else if let Some(author) = &f.author {
            Driver::Author(author)
        } else {
            Driver::Articles
        };
        Shape {
            q,
            all_tags,
            driver,
            link_visible: link_visible.unwrap_or_default(),
            search,
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

    /// The sort key's expression.
    fn key(&self, sql: &mut Sql) {
        match self.q.sort {
            Sort::PublishedDesc | Sort::PublishedAsc => {
                sql.push(match self.driver {
                    Driver::Articles => visibility::published_key(self.q.visibility),
                    Driver::Tag(_) | Driver::Author(_) => "l.listed_at",
                });
            }
            Sort::UpdatedDesc => {
                sql.push("articles.updated_at");
            }
            Sort::Title => {
                sql.push("articles.title");
            }
            Sort::Relevance => match self.search {
                Some(search) => search.score(sql),
                None => {
                    sql.push("0::real");
                }
            },
        }
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
                    sql.push("= ANY(")
                        .bind::<Array<Text>, _>(some.to_vec())
                        .push(")");
                    all_exist(sql, some);
                    sql.push(" ORDER BY listed_count, id LIMIT 1");
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
        let all = self.all_tags;
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
                all_exist(sql, rest);
                sql.push(" AND NOT EXISTS (SELECT 1 FROM unnest(ARRAY(SELECT id FROM tags WHERE slug = ANY(")
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
        if let Some(search) = self.search {
            search.filter(sql);
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

    /// The window's order: the sort's, or its reverse when a cursor walks backwards.
    fn direction(&self, cursor: Option<&Cursor>) -> &'static str {
        let backwards = cursor.is_some_and(|c| c.direction == Direction::Before);
        if self.q.sort.descending() != backwards {
            " DESC"
        } else {
            " ASC"
        }
    }

    /// The cards of one window, in order, in one statement: the window's ids (and ranks) from the driver's index,
    /// then the articles of those ids only.
    pub(super) fn page(&self, cursor: Option<&Cursor>, limit: i64, offset: i64) -> Result<Sql> {
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
        let dir = self.direction(cursor);
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
        let dir = self.direction(cursor);
        if relevance {
            // The bounded candidates (see `search`), each read stopping at its limit, then ranked.
            sql.push("SELECT articles.id AS id, ");
            self.key(sql);
            sql.push(" AS rank FROM (");
            if let Some(search) = self.search {
                search.candidates(sql, visibility::published_key(self.q.visibility), |s| {
                    self.source(s)
                });
            } else {
                sql.push("SELECT NULL::uuid AS id WHERE FALSE");
            }
            sql.push(") c JOIN articles ON articles.id = c.id");
            if let Some(c) = cursor {
                sql.push(" WHERE ");
                keyset::after(sql, self.q.sort, c, |s| self.key(s), "articles.id")?;
            }
            sql.push(&format!(" ORDER BY rank{dir}, articles.id{dir} LIMIT "));
        } else {
            sql.push(&format!("SELECT {id} AS id, NULL::real AS rank"));
            self.source(sql);
            if let Some(c) = cursor {
                sql.push(" AND ");
                keyset::after(sql, self.q.sort, c, |s| self.key(s), id)?;
            }
            sql.push(" ORDER BY ");
            self.key(sql);
            sql.push(&format!("{dir}, {id}{dir} LIMIT "));
        }
        sql.bind::<BigInt, _>(limit);
        if offset > 0 {
            sql.push(" OFFSET ").bind::<BigInt, _>(offset);
        }
        Ok(())
    }

    /// The matching rows, counted up to `COUNT_CAP + 1`.
    pub(super) fn capped_count(&self) -> Sql {
        let mut sql = Sql::new("SELECT count(*) AS n FROM (SELECT 1");
        self.source(&mut sql);
        sql.push(" LIMIT ")
            .bind::<BigInt, _>(COUNT_CAP + 1)
            .push(") c");
        sql.done()
    }
}

/// ` AND` every one of `slugs` (distinct) names a tag.
fn all_exist(sql: &mut Sql, slugs: &[String]) {
    let wanted = i64::try_from(slugs.len()).unwrap_or(i64::MAX);
    sql.push(" AND (SELECT count(*) FROM tags WHERE slug = ANY(")
        .bind::<Array<Text>, _>(slugs.to_vec())
        .push(")) = ")
        .bind::<BigInt, _>(wanted);
}
