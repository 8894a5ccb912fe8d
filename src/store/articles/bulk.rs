//! The bulk path for benchmark corpora: many new articles with their tags and authors in one transaction, with
//! multi-row statements. The same rows and links as `create`, without per-article round trips.

use std::collections::HashMap;

use diesel::prelude::*;
use uuid::Uuid;

use super::links::{resolve_authors, resolve_tags, LinkRows};
use super::row::Content;
use crate::db::schema::articles;
use crate::domain::article::{ArticleWrite, TagName};
use crate::store::{slug_conflict, Result};

/// Inserts `writes` (new slugs only); returns how many.
pub fn insert_many(conn: &mut PgConnection, writes: &[ArticleWrite]) -> Result<usize> {
    conn.transaction(|conn| {
        crate::store::lock_counts(conn)?;
        let mut all_tags: Vec<TagName> = Vec::new();
        let mut all_authors: Vec<String> = Vec::new();
        for w in writes {
            for tag in &w.tags {
                if !all_tags.iter().any(|t| t.slug == tag.slug) {
                    all_tags.push(tag.clone());
                }
            }
            for a in &w.authors {
                if !all_authors.contains(a) {
                    all_authors.push(a.clone());
                }
            }
        }
        let tag_ids: HashMap<&str, Uuid> = all_tags
            .iter()
            .map(|t| t.slug.as_str())
            .zip(resolve_tags(conn, &all_tags)?)
            .collect();
        let author_ids: HashMap<&str, Uuid> = all_authors
            .iter()
            .map(String::as_str)
            .zip(resolve_authors(conn, &all_authors)?)
            .collect();
        let rows: Vec<Content> = writes
            .iter()
            .map(|w| Content::of(w, w.published_at))
            .collect();
        let mut ids: Vec<Uuid> = Vec::with_capacity(writes.len());
        // 15 columns a row: stay under PostgreSQL's 65,535 bind parameters.
        for chunk in rows.chunks(4000) {
            ids.extend(
                diesel::insert_into(articles::table)
                    .values(chunk)
                    .returning(articles::id)
                    .get_results::<Uuid>(conn)
                    .map_err(|e| slug_conflict(e, "(bulk)"))?,
            );
        }
        let mut links = LinkRows::default();
        for (w, id) in writes.iter().zip(&ids) {
            let tags: Vec<Uuid> = w
                .tags
                .iter()
                .filter_map(|t| tag_ids.get(t.slug.as_str()).copied())
                .collect();
            let authors: Vec<Uuid> = w
                .authors
                .iter()
                .filter_map(|a| author_ids.get(a.as_str()).copied())
                .collect();
            links.add(*id, &tags, &authors);
        }
        links.insert(conn)?;
        Ok(ids.len())
    })
}
