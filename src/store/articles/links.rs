//! An article's tags and authors: resolved from the names and slugs a write gives, stored in order, and read back
//! as typed links for many articles in one query each.

use std::collections::HashMap;

use diesel::prelude::*;
use uuid::Uuid;

use super::listing::Include;
use super::row::{ArticleRecord, AuthorLink, TagLink};
use crate::db::schema::{article_authors, article_tags, authors, tags};
use crate::domain::article::TagName;
use crate::store::{Error, Result};

/// Creates the tags that do not exist yet (racing writers are fine: the loser's insert does nothing) and
/// returns every tag's id in the given order.
pub(super) fn resolve_tags(conn: &mut PgConnection, wanted: &[TagName]) -> QueryResult<Vec<Uuid>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // Sorted, so that two writers creating the same tags lock them in the same order.
    let mut sorted: Vec<&TagName> = wanted.iter().collect();
    sorted.sort();
    let rows: Vec<_> = sorted
        .into_iter()
        .map(|t| (tags::slug.eq(t.slug.clone()), tags::name.eq(t.name.clone())))
        .collect();
    diesel::insert_into(tags::table)
        .values(rows)
        .on_conflict(tags::slug)
        .do_nothing()
        .execute(conn)?;
    let slugs: Vec<&String> = wanted.iter().map(|t| &t.slug).collect();
    // Locked until the write commits, so a concurrent delete of one of these tags waits for it (and then removes
    // the new links with the tag) instead of leaving the links to fail their foreign key.
    let found: HashMap<String, Uuid> = tags::table
        .filter(tags::slug.eq_any(&slugs))
        .order_by(tags::slug)
        .select((tags::slug, tags::id))
        .for_key_share()
        .load::<(String, Uuid)>(conn)?
        .into_iter()
        .collect();
    Ok(wanted
        .iter()
        .filter_map(|t| found.get(&t.slug).copied())
        .collect())
}

/// Every author's id in the given order, or `UnknownAuthors` naming each slug that does not exist.
pub(super) fn resolve_authors(conn: &mut PgConnection, wanted: &[String]) -> Result<Vec<Uuid>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // Locked like tags: an author deleted meanwhile is either still there when the links are written, or missing
    // (a 422 naming it), never a foreign-key failure.
    let found: HashMap<String, Uuid> = authors::table
        .filter(authors::slug.eq_any(wanted))
        .order_by(authors::slug)
        .select((authors::slug, authors::id))
        .for_key_share()
        .load::<(String, Uuid)>(conn)?
        .into_iter()
        .collect();
    let mut ids = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for (i, slug) in wanted.iter().enumerate() {
        match found.get(slug) {
            Some(id) => ids.push(*id),
            None => missing.push((i, slug.clone())),
        }
    }
    if missing.is_empty() {
        Ok(ids)
    } else {
        Err(Error::UnknownAuthors(missing))
    }
}

fn position(i: usize) -> i16 {
    i16::try_from(i).unwrap_or(i16::MAX)
}

/// The link rows of many articles, ready for multi-row inserts.
#[derive(Default)]
pub(super) struct LinkRows {
    tags: Vec<TagRow>,
    authors: Vec<AuthorRow>,
}

#[derive(Insertable)]
#[diesel(table_name = article_tags)]
struct TagRow {
    article_id: Uuid,
    tag_id: Uuid,
    position: i16,
}

#[derive(Insertable)]
#[diesel(table_name = article_authors)]
struct AuthorRow {
    article_id: Uuid,
    author_id: Uuid,
    position: i16,
}

impl LinkRows {
    pub fn add(&mut self, article_id: Uuid, tag_ids: &[Uuid], author_ids: &[Uuid]) {
        self.tags
            .extend(tag_ids.iter().enumerate().map(|(i, &tag_id)| TagRow {
                article_id,
                tag_id,
                position: position(i),
            }));
        self.authors.extend(
            author_ids
                .iter()
                .enumerate()
                .map(|(i, &author_id)| AuthorRow {
                    article_id,
                    author_id,
                    position: position(i),
                }),
        );
    }

    /// Inserts the rows in chunks (PostgreSQL takes at most 65,535 bind parameters per statement).
    pub fn insert(self, conn: &mut PgConnection) -> QueryResult<()> {
        for chunk in self.tags.chunks(5000) {
            diesel::insert_into(article_tags::table)
                .values(chunk)
                .execute(conn)?;
        }
        for chunk in self.authors.chunks(5000) {
            diesel::insert_into(article_authors::table)
                .values(chunk)
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Replaces the article's links with these, in order.
pub(super) fn set_links(
    conn: &mut PgConnection,
    article_id: Uuid,
    tag_ids: &[Uuid],
    author_ids: &[Uuid],
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(article_id)))
        .execute(conn)?;
    let mut rows = LinkRows::default();
    rows.add(article_id, tag_ids, author_ids);
    rows.insert(conn)
}

/// The article's tag and author ids, in order.
pub(super) fn linked_ids(
    conn: &mut PgConnection,
    article_id: Uuid,
) -> QueryResult<(Vec<Uuid>, Vec<Uuid>)> {
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

/// Fills in the tags and authors of `rows` that `include` asks for: one query for each kind, whatever the number
/// of rows.
pub(super) fn attach(
    conn: &mut PgConnection,
    rows: &mut [ArticleRecord],
    include: Include,
) -> QueryResult<()> {
    if rows.is_empty() || !(include.tags || include.authors) {
        return Ok(());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.head.id).collect();
    if include.tags {
        let links: Vec<(Uuid, TagLink)> = article_tags::table
            .inner_join(tags::table)
            .filter(article_tags::article_id.eq_any(&ids))
            .order_by((article_tags::article_id, article_tags::position))
            .select((article_tags::article_id, (tags::slug, tags::name)))
            .load(conn)?;
        distribute(rows, links, |r| &mut r.tags);
    }
    if include.authors {
        let links: Vec<(Uuid, AuthorLink)> = article_authors::table
            .inner_join(authors::table)
            .filter(article_authors::article_id.eq_any(&ids))
            .order_by((article_authors::article_id, article_authors::position))
            .select((
                article_authors::article_id,
                (authors::slug, authors::name, authors::avatar_url),
            ))
            .load(conn)?;
        distribute(rows, links, |r| &mut r.authors);
    }
    Ok(())
}

/// Hands each row its links, keeping their order.
fn distribute<L>(
    rows: &mut [ArticleRecord],
    links: Vec<(Uuid, L)>,
    field: impl Fn(&mut ArticleRecord) -> &mut Vec<L>,
) {
    let mut by_article: HashMap<Uuid, Vec<L>> = HashMap::new();
    for (id, link) in links {
        by_article.entry(id).or_default().push(link);
    }
    for row in rows.iter_mut() {
        *field(row) = by_article.remove(&row.head.id).unwrap_or_default();
    }
}
