//! Authors, with the number of public articles each has. The shared behaviour is in `resource`; an author with
//! articles cannot be deleted (the foreign key restricts it).

use diesel::prelude::*;

use super::resource::slug_table;
use crate::db::schema::authors;

/// The author table, as a slug-addressed resource.
pub struct Authors;

/// What an author write stores.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = authors, treat_none_as_null = true, check_for_backend(diesel::pg::Pg))]
pub struct AuthorWrite {
    pub slug: String,
    pub name: String,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
}

slug_table!(
    Authors,
    authors,
    AuthorWrite,
    "article_authors",
    "author_id"
);
