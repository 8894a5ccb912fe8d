//! `/api/v1/tags`: the public listing and detail with counts of public articles; writes with `content:write`.
//! The behaviour is `resource`'s; this file states a tag's fields and documents its operations.

use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::problem::ApiError;
use super::resource::{self, Resource, ResourceListParams};
use super::responses::{BadRequest, Body, Conflict, Db, Get, NotFound, Scoped};
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

/// List tags with their counts of public articles.
#[utoipa::path(
    tag = "tags",
    params(ResourceListParams),
    responses(
        (status = 200, description = "A page of tags", body = TagListing),
        (status = 400, response = BadRequest),
        Get, Db,
    )
)]
#[get("/tags")]
pub async fn list_tags(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ResourceListParams>,
) -> Result<HttpResponse, ApiError> {
    resource::list::<Tags>(req, state, params).await
}

/// One tag.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug", example = "system-design")),
    responses(
        (status = 200, description = "The tag", body = TagView),
        (status = 404, response = NotFound),
        Get, Db,
    )
)]
#[get("/tags/{slug}")]
pub async fn get_tag(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resource::get::<Tags>(state, slug).await
}

/// Create a tag; its slug (given or derived from the name) must be free.
#[utoipa::path(
    tag = "tags",
    request_body = TagInput,
    responses(
        (status = 201, description = "Created", body = TagView, headers(("Location" = String))),
        (status = 409, response = Conflict),
        Body, Scoped, Db,
    ),
    security(("token" = []))
)]
#[post("/tags")]
pub async fn create_tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    resource::create::<Tags>(req, state, caller, payload).await
}

/// Create or replace the tag at this slug; identical content changes nothing.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    request_body = TagInput,
    responses(
        (status = 200, description = "Replaced, or unchanged", body = TagView),
        (status = 201, description = "Created", body = TagView, headers(("Location" = String))),
        Body, Scoped, Db,
    ),
    security(("token" = []))
)]
#[put("/tags/{slug}")]
pub async fn put_tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    resource::put::<Tags>(req, state, caller, slug, payload).await
}

/// Change some fields (JSON merge patch); may rename the tag.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's current slug")),
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"description": "New words."})),
        (Object = "application/json", example = json!({"name": "Systems"})),
    )),
    responses(
        (status = 200, description = "The tag after the patch", body = TagView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        Body, Scoped, Db,
    ),
    security(("token" = []))
)]
#[patch("/tags/{slug}")]
pub async fn patch_tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    resource::patch::<Tags>(req, state, caller, slug, payload).await
}

/// Delete a tag; articles lose it.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, response = NotFound),
        Scoped, Db,
    ),
    security(("token" = []))
)]
#[delete("/tags/{slug}")]
pub async fn delete_tag(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resource::delete::<Tags>(state, caller, slug).await
}
