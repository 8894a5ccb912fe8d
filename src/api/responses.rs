//! The statuses each kind of access can answer, documented from one place: reusable responses (components) for
//! every problem, and error profiles that operations list in their `responses(...)`, so a status that a layer can
//! produce (429 from the limits, 304 from conditional GETs, 401 from a bad token) is documented wherever it can
//! occur.

use std::collections::BTreeMap;

use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{IntoResponses, ToResponse};

use super::problem::Problem;

/// The profile's statuses, each a reference to its component response.
fn profile(statuses: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    statuses
        .iter()
        .map(|(status, name)| {
            (
                status.to_string(),
                RefOr::Ref(Ref::from_response_name(*name)),
            )
        })
        .collect()
}

macro_rules! error_profile {
    ($(#[$doc:meta])* $name:ident: $($status:literal => $response:ident),+ $(,)?) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                profile(&[$(($status, stringify!($response))),+])
            }
        }
    };
}

error_profile!(
    /// Every GET: a conditional request may answer 304, and the optional per-address read limit 429.
    Get: 304 => NotModified, 429 => RateLimited
);
error_profile!(
    /// Every operation that reads the database.
    Db: 503 => Unavailable
);
error_profile!(
    /// Operations that take an optional token: a bad one is refused, and repeated failures are limited.
    Token: 401 => Unauthorized, 429 => RateLimited
);
error_profile!(
    /// Operations that need a token with a scope.
    Scoped: 401 => Unauthorized, 403 => Forbidden, 429 => RateLimited
);
error_profile!(
    /// Operations that read a request body.
    Body: 400 => BadRequest, 413 => PayloadTooLarge, 415 => UnsupportedMediaType, 422 => Validation
);

/// The response matches the ETag in `If-None-Match` (or is not newer than `If-Modified-Since`): no body.
#[derive(ToResponse)]
#[response(headers(("ETag" = String, description = "The current ETag")))]
pub struct NotModified;

/// The request is malformed: invalid JSON, a bad or unknown query parameter, an out-of-range value.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/bad-request", "title": "Bad request", "status": 400,
                     "detail": "unknown query parameter `colour`"})
)]
pub struct BadRequest(#[allow(dead_code)] Problem);

/// No valid token was sent where one is needed.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "Always `Bearer`")),
    example = json!({"type": "/problems/unauthorized", "title": "Authentication required", "status": 401,
                     "detail": "a valid API token is required"})
)]
pub struct Unauthorized(#[allow(dead_code)] Problem);

/// The token lacks the scope this operation needs.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/forbidden", "title": "Forbidden", "status": 403,
                     "detail": "this operation needs the `content:write` scope"})
)]
pub struct Forbidden(#[allow(dead_code)] Problem);

/// No resource has this identifier.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/not-found", "title": "Not found", "status": 404,
                     "detail": "no article has the slug `hello-world`"})
)]
pub struct NotFound(#[allow(dead_code)] Problem);

/// The resource conflicts with an existing one.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                     "detail": "an article with the slug `hello-world` already exists"})
)]
pub struct Conflict(#[allow(dead_code)] Problem);

/// `If-Match` did not match the current ETag, or `If-None-Match: *` met an existing resource.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/precondition-failed", "title": "Precondition failed", "status": 412,
                     "detail": "the article changed since the ETag you sent"})
)]
pub struct PreconditionFailed(#[allow(dead_code)] Problem);

/// The request body is larger than the configured limit.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/payload-too-large", "title": "Payload too large", "status": 413,
                     "detail": "the body is larger than 2097152 bytes"})
)]
pub struct PayloadTooLarge(#[allow(dead_code)] Problem);

/// The body's media type is not one this operation reads.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/unsupported-media-type", "title": "Unsupported media type",
                     "status": 415, "detail": "send application/json or text/markdown"})
)]
pub struct UnsupportedMediaType(#[allow(dead_code)] Problem);

/// One or more fields are invalid; each is listed in `errors`.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "/problems/validation", "title": "Request body is invalid", "status": 422,
                     "detail": "1 field is invalid",
                     "errors": [{"field": "title", "code": "length", "message": "must be 1 to 200 characters"}]})
)]
pub struct Validation(#[allow(dead_code)] Problem);

/// The database cannot be reached; retry after the given delay.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u32, description = "Seconds to wait before retrying")),
    example = json!({"type": "/problems/unavailable", "title": "Service unavailable", "status": 503,
                     "detail": "The database cannot be reached; try again shortly."})
)]
pub struct Unavailable(#[allow(dead_code)] Problem);

/// Too many failed authentications (or, when configured, requests) from this address; retry after the delay.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = u32, description = "Seconds to wait before retrying")),
    example = json!({"type": "/problems/rate-limited", "title": "Too many requests", "status": 429,
                     "detail": "too many failed authentications from this address; wait before trying again"})
)]
pub struct RateLimited(#[allow(dead_code)] Problem);
