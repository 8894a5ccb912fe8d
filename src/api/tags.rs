//! `/api/v1/tags`: the public listing and detail with counts of public articles; writes with `content:write`.
//! The behaviour is `resource`'s; this file states a tag's fields and documents its operations.

use actix_web::{delete, get, patch, post, put};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Writer;
use super::problem::ApiError;
use super::resource::{slug_resource_handlers, Resource};
use super::responses::{Authorized, BadRequest, Conflict, NotFound, PublicRead, Write};
use super::views::{Links, Meta, TagListing, TagView};
use crate::state::AppState;
use crate::store::tags::{TagWrite, Tags};

/// The fields of a tag write.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "System Design", "description": "Designing systems that last."}))]
pub struct TagInput {
    /// 1 to 100 characters.
    #[serde(default)]
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Derived from the name when absent; on `PUT` it must equal the slug in the path.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 1000 characters.
    #[validate(length(max = 1000, message = "must be at most 1000 characters"))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

impl Resource for Tags {
    const KIND: &'static str = "tag";
    const COLLECTION: &'static str = "tags";
    const FIELDS: &'static [&'static str] = &["name", "slug", "description"];
    type Input = TagInput;
    type View = TagView;
    type Listing = TagListing;

    fn name(input: &mut TagInput) -> &mut String {
        &mut input.name
    }

    fn given_slug(input: &TagInput) -> Option<&str> {
        input.slug.as_deref()
    }

    fn write(input: TagInput, slug: String) -> TagWrite {
        TagWrite {
            slug,
            name: input.name,
            description: input.description,
        }
    }

    fn representation(t: &TagWrite) -> Value {
        json!({"name": t.name, "slug": t.slug, "description": t.description})
    }

    fn listing(data: Vec<TagView>, meta: Meta, links: Links) -> TagListing {
        TagListing { data, meta, links }
    }
}

slug_resource_handlers! {
    Tags, tag: "tags", collection: "/tags", item: "/tags/{slug}",
    input: TagInput, view: TagView, listing: TagListing,
    slug: "The tag's slug", example: "system-design", current_slug: "The tag's current slug";
    /// List tags with their counts of public articles.
    list_tags => "A page of tags";
    /// One tag.
    get_tag => "The tag";
    /// Create a tag; its slug (given or derived from the name) must be free.
    create_tag;
    /// Create or replace the tag at this slug; identical content changes nothing.
    put_tag;
    /// Change some fields (JSON merge patch); may rename the tag.
    patch_tag => "The tag after the patch", {"description": "New words."}, {"name": "Systems"};
    /// Delete a tag; articles lose it.
    delete_tag;
}
