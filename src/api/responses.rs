//! Reusable OpenAPI responses for the problems each operation can answer, so every operation documents its
//! errors with one line each and they all look the same in the spec.

use utoipa::ToResponse;

use super::problem::Problem;

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
