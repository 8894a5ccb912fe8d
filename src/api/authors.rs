//! `/api/v1/authors`: the public listing and detail with counts of public articles; writes with `content:write`.
//! The behaviour is `resource`'s; this file states an author's fields and documents its operations. An author
//! with articles is not deleted (409).

use actix_web::web::{Path, Payload, Query};
use actix_web::{delete, get, patch, post, put};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::{Caller, Writer};
use super::resource::{slug_resource_handlers, Resource};
use super::responses::{Authorized, BadRequest, Conflict, NotFound, TokenRead, Write};
use super::views::{AuthorListing, AuthorView};
use super::{Answer, Ctx};
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
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: String,
    /// Derived from the name when absent; on `PUT` it must equal the slug in the path.
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 5000 characters.
    #[validate(length(max = 5000, message = "must be at most 5000 characters"))]
    #[schema(max_length = 5000, pattern = r"^[^\u0000]*$")]
    pub bio: Option<String>,
    /// An http(s) URL or an absolute path on the site, at most 2000 characters.
    #[validate(
        custom(function = "crate::domain::link::validate"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(
        max_length = 2000,
        pattern = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$"
    )]
    pub avatar_url: Option<String>,
    /// An http(s) URL or an absolute path on the site, at most 2000 characters.
    #[validate(
        custom(function = "crate::domain::link::validate"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(
        max_length = 2000,
        pattern = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$"
    )]
    pub website: Option<String>,
}

impl Resource for Authors {
    const KIND: &'static str = "author";
    const COLLECTION: &'static str = "authors";
    const FIELDS: &'static [&'static str] = &["name", "slug", "bio", "avatar_url", "website"];
    const PUBLIC_WHEN_UNUSED: bool = true;
    type Input = AuthorInput;
    type View = AuthorView;

    fn write(input: AuthorInput, slug: String) -> AuthorWrite {
        AuthorWrite {
            slug,
            name: input.name,
            bio: input.bio,
            avatar_url: input.avatar_url,
            website: input.website,
        }
    }
}

slug_resource_handlers! {
    Authors { a: "an", one: "author", many: "authors", at: "/authors", each: "/authors/{slug}", example: "ada" },
    AuthorInput => AuthorView, AuthorListing, [list_authors, get_author, create_author, put_author, patch_author, delete_author],
    patch: {"bio": "New words."} or {"website": null}, delete: "Delete an author who has no articles.", (status = 409, response = Conflict)
}
