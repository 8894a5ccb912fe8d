//! `/api/v1/authors`: the public listing and detail with counts of public articles; writes with `content:write`.
//! The behaviour is `resource`'s; this file states an author's fields and documents its operations. An author
//! with articles is not deleted (409).

use actix_web::{delete, get, patch, post, put};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Writer;
use super::problem::ApiError;
use super::resource::{slug_resource_handlers, Resource};
use super::responses::{Authorized, BadRequest, Conflict, NotFound, PublicRead, Write};
use super::views::{AuthorListing, AuthorView, Links, Meta};
use crate::state::AppState;
use crate::store::authors::{AuthorWrite, Authors};

/// The fields of an author write.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ada Lovelace", "bio": "Writes about engines.",
    "avatar_url": "https://example.com/ada.png", "website": "https://example.com"}))]
pub struct AuthorInput {
    /// 1 to 200 characters.
    #[serde(default)]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Derived from the name when absent; on `PUT` it must equal the slug in the path.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 5000 characters.
    #[validate(length(max = 5000, message = "must be at most 5000 characters"))]
    #[schema(max_length = 5000)]
    pub bio: Option<String>,
    /// An http(s) URL, at most 2000 characters.
    #[validate(
        url(message = "must be an http(s) URL"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(max_length = 2000)]
    pub avatar_url: Option<String>,
    /// An http(s) URL, at most 2000 characters.
    #[validate(
        url(message = "must be an http(s) URL"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(max_length = 2000)]
    pub website: Option<String>,
}

impl Resource for Authors {
    const KIND: &'static str = "author";
    const COLLECTION: &'static str = "authors";
    const FIELDS: &'static [&'static str] = &["name", "slug", "bio", "avatar_url", "website"];
    type Input = AuthorInput;
    type View = AuthorView;
    type Listing = AuthorListing;

    fn name(input: &mut AuthorInput) -> &mut String {
        &mut input.name
    }

    fn given_slug(input: &AuthorInput) -> Option<&str> {
        input.slug.as_deref()
    }

    fn write(input: AuthorInput, slug: String) -> AuthorWrite {
        AuthorWrite {
            slug,
            name: input.name,
            bio: input.bio,
            avatar_url: input.avatar_url,
            website: input.website,
        }
    }

    fn representation(a: &AuthorWrite) -> Value {
        json!({"name": a.name, "slug": a.slug, "bio": a.bio, "avatar_url": a.avatar_url, "website": a.website})
    }

    fn listing(data: Vec<AuthorView>, meta: Meta, links: Links) -> AuthorListing {
        AuthorListing { data, meta, links }
    }
}

slug_resource_handlers! {
    Authors, tag: "authors", collection: "/authors", item: "/authors/{slug}",
    input: AuthorInput, view: AuthorView, listing: AuthorListing,
    slug: "The author's slug", example: "ada", current_slug: "The author's current slug";
    /// List authors with their counts of public articles.
    list_authors => "A page of authors";
    /// One author.
    get_author => "The author";
    /// Create an author; its slug (given or derived from the name) must be free.
    create_author;
    /// Create or replace the author at this slug; identical content changes nothing.
    put_author;
    /// Change some fields (JSON merge patch); may rename the author.
    patch_author => "The author after the patch", {"bio": "New words."}, {"website": null};
    /// Delete an author who has no articles.
    delete_author, (status = 409, response = Conflict);
}
