//! Diesel queries per resource: rows in, rows out. No HTTP types here; visibility ("public" means published with
//! `published_at <= now()`) is decided in `articles::Visibility` and nowhere else.
//!
//! Indexes (see migrations/) and what each serves:
//! - `articles_public_published_at_idx` (partial, `status = 'published'`): the public listing by
//!   `(published_at, id)`, its keyset cursors, newer/older neighbours, and the public counts.
//! - `articles_featured_published_at_idx`: the featured strip.
//! - `article_tags_tag_id_idx`, `article_authors_author_id_idx`: tag and author pages and their counts.
//! - `articles_search_idx` (GIN over the generated `search` tsvector): `q`.
//! - `articles_updated_at_idx`, `articles_title_idx`: the other sorts.

pub mod articles;
pub mod authors;
pub mod tags;
pub mod tokens;

/// A page of rows plus the total number of rows matching the same filters.
#[derive(Debug)]
pub struct Counted<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// Secrets shared by every instance on the database, created by the migrations.
pub mod secrets {
    use diesel::prelude::*;

    use crate::db::schema::instance_secrets;

    /// The key that signs pagination cursors.
    pub fn cursor(conn: &mut PgConnection) -> QueryResult<Vec<u8>> {
        instance_secrets::table
            .find("cursor")
            .select(instance_secrets::value)
            .first(conn)
    }
}
