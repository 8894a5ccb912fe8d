//! `/api/v1/authors`: the public listing and detail with counts of public articles; writes with `content:write`.
//! The behaviour is `resource`'s; this file states an author's fields and documents its operations. An author
//! with articles is not deleted (409).

use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::problem::ApiError;
use super::resource::{self, Resource, ResourceListParams};
use super::responses::{BadRequest, Body, Conflict, Db, Get, NotFound, Scoped};
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

/// List authors with their counts of public articles.
#[utoipa::path(
    tag = "authors",
    params(ResourceListParams),
    responses(
        (status = 200, description = "A page of authors", body = AuthorListing),
        (status = 400, response = BadRequest),
        Get, Db,
    )
)]
#[get("/authors")]
pub async fn list_authors(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ResourceListParams>,
) -> Result<HttpResponse, ApiError> {
    resource::list::<Authors>(req, state, params).await
}

/// One author.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug", example = "ada")),
    responses(
        (status = 200, description = "The author", body = AuthorView),
        (status = 404, response = NotFound),
        Get, Db,
    )
)]
#[get("/authors/{slug}")]
pub async fn get_author(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resource::get::<Authors>(state, slug).await
}

/// Create an author; its slug (given or derived from the name) must be free.
#[utoipa::path(
    tag = "authors",
    request_body = AuthorInput,
    responses(
        (status = 201, description = "Created", body = AuthorView, headers(("Location" = String))),
        (status = 409, response = Conflict),
        Body, Scoped, Db,
    ),
    security(("token" = []))
)]
#[post("/authors")]
pub async fn create_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    resource::create::<Authors>(req, state, caller, payload).await
}

/// Create or replace the author at this slug; identical content changes nothing.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug")),
    request_body = AuthorInput,
    responses(
        (status = 200, description = "Replaced, or unchanged", body = AuthorView),
        (status = 201, description = "Created", body = AuthorView, headers(("Location" = String))),
        Body, Scoped, Db,
    ),
    security(("token" = []))
)]
#[put("/authors/{slug}")]
pub async fn put_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    resource::put::<Authors>(req, state, caller, slug, payload).await
}

/// Change some fields (JSON merge patch); may rename the author.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's current slug")),
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"bio": "New words."})),
        (Object = "application/json", example = json!({"website": null})),
    )),
    responses(
        (status = 200, description = "The author after the patch", body = AuthorView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        Body, Scoped, Db,
    ),
    security(("token" = []))
)]
#[patch("/authors/{slug}")]
pub async fn patch_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    resource::patch::<Authors>(req, state, caller, slug, payload).await
}

/// Delete an author who has no articles.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        Scoped, Db,
    ),
    security(("token" = []))
)]
#[delete("/authors/{slug}")]
pub async fn delete_author(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resource::delete::<Authors>(state, caller, slug).await
}
