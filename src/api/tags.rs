//! `/api/v1/tags`: the public listing and detail with counts of public articles; writes with `content:write`.
//! The behaviour is `resource`'s; this file states a tag's fields and documents its operations.

use actix_web::web::{Path, Payload, Query};
use actix_web::{delete, get, patch, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::{Caller, Writer};
use super::resource::{slug_resource_handlers, Resource};
use super::responses::{Authorized, BadRequest, Conflict, NotFound, TokenRead, Write};
use super::views::{TagListing, TagView};
use super::{Answer, Ctx};
use crate::store::tags::{TagWrite, Tags};

/// The fields of a tag write.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "System Design", "description": "Designing systems that last."}))]
pub struct TagInput {
    /// 1 to 100 characters.
    #[serde(default)]
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: String,
    /// Derived from the name when absent; on `PUT` it must equal the slug in the path.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 1000 characters.
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    #[schema(max_length = 1000, pattern = r"^[^\u0000]*$")]
    pub description: Option<String>,
}

impl Resource for Tags {
    const KIND: &'static str = "tag";
    const COLLECTION: &'static str = "tags";
    const FIELDS: &'static [&'static str] = &["name", "slug", "description"];
    const PUBLIC_WHEN_UNUSED: bool = false;
    type Input = TagInput;
    type View = TagView;

    fn write(input: TagInput, slug: String) -> TagWrite {
        TagWrite {
            slug,
            name: input.name,
            description: input.description,
        }
    }
}

slug_resource_handlers! {
    Tags { a: "a", one: "tag", many: "tags", at: "/tags", each: "/tags/{slug}", example: "system-design" },
    TagInput => TagView, TagListing, [list_tags, get_tag, create_tag, put_tag, patch_tag, delete_tag],
    patch: {"description": "New words."} or {"name": "Systems"}, delete: "Delete a tag; articles lose it."
}
