//! The statuses each kind of access can answer, documented from one place: reusable responses (components) for
//! every problem, and error profiles that operations list in their `responses(...)`, so a status that a layer can
//! produce (429 from the limits, 304 from conditional GETs, 401 from a bad token) is documented wherever it can
//! occur.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToResponse};

use super::problem::PROBLEM_JSON;

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
    /// A public read: 304 to a conditional request, 429 from the optional read limit, 503 without a database.
    PublicRead: 304 => NotModified, 429 => RateLimited, 503 => Unavailable
);
error_profile!(
    /// A read that takes an optional token: a public read, and 401 for a bad token (429 once failures repeat).
    TokenRead: 304 => NotModified, 401 => Unauthorized, 429 => RateLimited, 503 => Unavailable
);
error_profile!(
    /// A read that some parameters (or the operation itself) reserve to a scope: a token read, and 403.
    ScopedRead: 304 => NotModified, 401 => Unauthorized, 403 => Forbidden, 429 => RateLimited,
        503 => Unavailable
);
error_profile!(
    /// A write with a body: the token and its scope, and every way a body can be refused.
    Write: 400 => BadRequest, 401 => Unauthorized, 403 => Forbidden, 413 => PayloadTooLarge,
        415 => UnsupportedMediaType, 422 => Validation, 429 => RateLimited, 503 => Unavailable
);
error_profile!(
    /// An operation without a body that needs a token with a scope (deletes, revocation).
    Authorized: 401 => Unauthorized, 403 => Forbidden, 429 => RateLimited, 503 => Unavailable
);

/// The response matches the ETag in `If-None-Match` (or is not newer than `If-Modified-Since`): no body.
#[derive(ToResponse)]
#[response(headers(("ETag" = String, description = "The current ETag")))]
pub struct NotModified;

/// A problem response: `application/problem+json` with the `Problem` schema, an example, and its headers.
/// A response header: its name, its description, and its schema.
type Header = (&'static str, &'static str, fn() -> ObjectBuilder);

fn problem(description: &str, example: Value, headers: &[Header]) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .example(Some(example))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description.trim())
        .content(PROBLEM_JSON, content);
    for (name, text, schema) in headers {
        let header = HeaderBuilder::new()
            .schema(Some(schema()))
            .description(Some(*text))
            .build();
        response = response.header(*name, header);
    }
    RefOr::T(response.build())
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn seconds() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(0))
}

/// Declares each problem response: its doc (the description), its example, and any headers it carries.
macro_rules! problem_responses {
    ($($(#[doc = $doc:literal])+ $name:ident => $example:tt $(, header($h:literal, $hd:literal, $schema:ident))?;)+) => {
        $(
            $(#[doc = $doc])+
            pub struct $name;

            impl<'s> ToResponse<'s> for $name {
                fn response() -> (&'s str, RefOr<Response>) {
                    (stringify!($name), problem(concat!($($doc),+), json!($example), &[$(($h, $hd, $schema as fn() -> ObjectBuilder))?] as &[Header]))
                }
            }
        )+
    };
}

problem_responses! {
    /// The request is malformed: invalid JSON, a bad or unknown query parameter, an out-of-range value.
    BadRequest => {"type": "/problems/bad-request", "title": "Bad request", "status": 400,
                   "detail": "unknown query parameter `colour`"};
    /// No valid token was sent where one is needed.
    Unauthorized => {"type": "/problems/unauthorized", "title": "Authentication required", "status": 401,
                     "detail": "a valid API token is required"},
        header("WWW-Authenticate", "Always `Bearer`", text);
    /// The token lacks the scope this operation needs.
    Forbidden => {"type": "/problems/forbidden", "title": "Forbidden", "status": 403,
                  "detail": "this operation needs the `content:write` scope"};
    /// No resource has this identifier.
    NotFound => {"type": "/problems/not-found", "title": "Not found", "status": 404,
                 "detail": "no article has the slug `hello-world`"};
    /// The resource conflicts with an existing one.
    Conflict => {"type": "/problems/conflict", "title": "Conflict", "status": 409,
                 "detail": "an article with the slug `hello-world` already exists"};
    /// `If-Match` did not match the current ETag, or `If-None-Match: *` met an existing resource.
    PreconditionFailed => {"type": "/problems/precondition-failed", "title": "Precondition failed",
                           "status": 412, "detail": "the article changed since the ETag you sent"};
    /// The request body is larger than the configured limit.
    PayloadTooLarge => {"type": "/problems/payload-too-large", "title": "Payload too large", "status": 413,
                        "detail": "the body is larger than 2097152 bytes"};
    /// The body's media type is not one this operation reads.
    UnsupportedMediaType => {"type": "/problems/unsupported-media-type", "title": "Unsupported media type",
                             "status": 415, "detail": "send application/json or text/markdown"};
    /// One or more fields are invalid; each is listed in `errors`.
    Validation => {"type": "/problems/validation", "title": "Request body is invalid", "status": 422,
                   "detail": "1 field is invalid",
                   "errors": [{"field": "title", "code": "length", "message": "must be 1 to 200 characters"}]};
    /// The position is older than the change log keeps: read the content again, then follow the feed from the
    /// position `GET /api/v1/changes` (without `since`) answers.
    ChangesExpired => {"type": "/problems/changes-expired", "title": "Changes expired", "status": 410,
                       "detail": "the changes after position 12 are no longer kept (entries up to 480 were pruned): read the content again, then follow the feed from the `next` of `GET /api/v1/changes`"};
    /// Feeds and sitemaps write absolute links: the site's `url` setting must be set first.
    SiteUrlUnset => {"type": "/problems/site-url-unset", "title": "Site URL not set", "status": 409,
                     "detail": "set the site's `url` (PATCH /api/v1/site) before reading feeds and sitemaps: their links are absolute"};
    /// The database cannot be reached; retry after the given delay.
    Unavailable => {"type": "/problems/unavailable", "title": "Service unavailable", "status": 503,
                    "detail": "The database cannot be reached; try again shortly."},
        header("Retry-After", "Seconds to wait before retrying", seconds);
    /// Too many failed authentications (or, when configured, requests) from this address; retry after the delay.
    RateLimited => {"type": "/problems/rate-limited", "title": "Too many requests", "status": 429,
                    "detail": "too many failed authentications from this address; wait before trying again"},
        header("Retry-After", "Seconds to wait before retrying", seconds);
}
