//! Tags, with the number of public articles each has. The shared behaviour is in `resource`.

use diesel::prelude::*;

use super::resource::slug_table;
use crate::db::schema::tags;

/// The tag table, as a slug-addressed resource.
pub struct Tags;

/// What a tag write stores.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize,
)]
#[diesel(table_name = tags, treat_none_as_null = true, check_for_backend(diesel::pg::Pg))]
pub struct TagWrite {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

slug_table!(Tags, tags, TagWrite, "article_tags", "tag_id");
