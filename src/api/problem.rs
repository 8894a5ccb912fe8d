//! Every error Folio answers, rendered as RFC 9457 `application/problem+json` with a stable `type`.
//!
//! The policy: handlers return `ApiError`; store errors become problems in one place (`ApiError::from_store`, with
//! the subject the request named); a 500 tells the client nothing of its cause, which keeps its source chain and
//! is logged once, with the request id, by the request-id middleware.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;
use crate::store;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying while the database is unreachable.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u32 = 5;

pub use crate::domain::field_error::FieldError;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Request body is invalid",
    "status": 422,
    "detail": "1 field is invalid",
    "errors": [{"field": "title", "code": "length", "message": "must be 1 to 200 characters"}]
}))]
pub struct Problem {
    /// A stable URI reference naming the kind of problem, e.g. `/problems/not-found`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A short summary of the kind of problem; the same for every occurrence of a `type`.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// For `/problems/validation`: each invalid field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// The one error type of the HTTP layer: each variant knows its status and problem `type`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{} invalid", errors.len())]
    Validation { errors: Vec<FieldError> },
    #[error("{detail}")]
    RateLimited {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    Unavailable(String),
    /// A change-feed position older than the kept entries: the client must read the content again.
    #[error("{0}")]
    ChangesExpired(String),
    /// A feed or sitemap needs the site's public URL to write absolute links, and it is not set.
    #[error("set the site's `url` (PATCH /api/v1/site) before reading feeds and sitemaps: their links are absolute")]
    SiteUrlUnset,
    /// The cause is logged; the client only learns that something failed on the server.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A server-side failure, keeping `cause` (and its sources) for the log.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(cause.into())
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError::Validation { errors }
    }

    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        ApiError::validation(vec![FieldError::new(field, code, message)])
    }

    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("/problems/bad-request", "Bad request"),
            ApiError::Unauthorized(_) => ("/problems/unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("/problems/forbidden", "Forbidden"),
            ApiError::NotFound(_) => ("/problems/not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => {
                ("/problems/method-not-allowed", "Method not allowed")
            }
            ApiError::Conflict(_) => ("/problems/conflict", "Conflict"),
            ApiError::PreconditionFailed(_) => {
                ("/problems/precondition-failed", "Precondition failed")
            }
            ApiError::PayloadTooLarge(_) => ("/problems/payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("/problems/unsupported-media-type", "Unsupported media type")
            }
            ApiError::Validation { .. } => ("/problems/validation", "Request body is invalid"),
            ApiError::RateLimited { .. } => ("/problems/rate-limited", "Too many requests"),
            ApiError::Unavailable(_) => ("/problems/unavailable", "Service unavailable"),
            ApiError::ChangesExpired(_) => ("/problems/changes-expired", "Changes expired"),
            ApiError::SiteUrlUnset => ("/problems/site-url-unset", "Site URL not set"),
            ApiError::Internal(_) => ("/problems/internal", "Internal Server Error"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let (detail, errors) = match self {
            ApiError::Validation { errors } => (
                match errors.len() {
                    1 => "1 field is invalid".to_owned(),
                    n => format!("{n} fields are invalid"),
                },
                Some(errors.clone()),
            ),
            ApiError::Internal(_) => ("The server failed to answer this request.".to_owned(), None),
            other => (other.to_string(), None),
        };
        Problem {
            kind,
            title,
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::ChangesExpired(_) => StatusCode::GONE,
            ApiError::SiteUrlUnset => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.to_problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        match self {
            ApiError::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                res.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::RateLimited {
                retry_after_secs, ..
            } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unavailable(_) => {
                res.insert_header((
                    header::RETRY_AFTER,
                    UNAVAILABLE_RETRY_AFTER_SECS.to_string(),
                ));
            }
            _ => {}
        }
        let mut res = res.body(body);
        if let ApiError::Internal(cause) = self {
            res.extensions_mut()
                .insert(InternalCause(chain(cause.as_ref())));
        }
        res
    }
}

/// The cause of a 500, carried on the response to the middleware that logs it with the request id.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

/// An error and its sources, outermost first.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(source) = next {
        out.push_str(": ");
        out.push_str(&source.to_string());
        next = source.source();
    }
    out
}

/// What a request named, for the messages of store errors: `("article", "hello-world")`.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub kind: &'static str,
    pub slug: &'a str,
}

impl Subject<'_> {
    /// The slug a path names, or a 404 about this subject for anything that cannot be one.
    pub fn path_slug(self) -> Result<String, ApiError> {
        crate::domain::slug::Slug::parse(self.slug)
            .map(crate::domain::slug::Slug::into_string)
            .map_err(|_| self.not_found())
    }

    fn article(&self) -> &'static str {
        if self.kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        }
    }

    pub fn not_found(&self) -> ApiError {
        ApiError::NotFound(format!("no {} has the slug `{}`", self.kind, self.slug))
    }
}

impl ApiError {
    /// The problem for a store error about `subject`: the one mapping from the store's outcomes to HTTP.
    pub fn from_store(e: store::Error, subject: Subject<'_>) -> ApiError {
        match e {
            store::Error::NotFound => subject.not_found(),
            store::Error::SlugTaken(s) => ApiError::Conflict(format!(
                "{} {} with the slug `{s}` already exists",
                subject.article(),
                subject.kind
            )),
            store::Error::PreconditionFailed => ApiError::PreconditionFailed(format!(
                "the {} does not match the precondition (If-Match / If-None-Match) you sent",
                subject.kind
            )),
            store::Error::UnknownAuthors(missing) => ApiError::validation(
                missing
                    .into_iter()
                    .map(|(i, s)| {
                        FieldError::new(
                            format!("authors[{i}]"),
                            "not_found",
                            format!("no author has the slug `{s}`"),
                        )
                    })
                    .collect(),
            ),
            store::Error::Disabled => ApiError::Conflict(format!(
                "the {} is disabled: enable it first (PATCH `enabled: true`)",
                subject.kind
            )),
            store::Error::InUse => ApiError::Conflict(format!(
                "the {} `{}` still has articles; remove them from the articles first",
                subject.kind, subject.slug
            )),
            other => ApiError::from(other),
        }
    }
}

/// The error of a store transaction whose closure applies API rules (a merge patch): the store's or the API's,
/// mapped once the subject is known.
#[derive(Debug)]
pub enum TxError {
    Store(store::Error),
    Api(ApiError),
}

impl From<store::Error> for TxError {
    fn from(e: store::Error) -> Self {
        TxError::Store(e)
    }
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Store(e.into())
    }
}

impl From<DbError> for TxError {
    fn from(e: DbError) -> Self {
        TxError::Store(e.into())
    }
}

/// An error that becomes a problem once the request's subject is known.
pub trait About {
    fn about(self, subject: Subject<'_>) -> ApiError;
}

impl About for store::Error {
    fn about(self, subject: Subject<'_>) -> ApiError {
        ApiError::from_store(self, subject)
    }
}

impl About for TxError {
    fn about(self, subject: Subject<'_>) -> ApiError {
        match self {
            TxError::Store(e) => ApiError::from_store(e, subject),
            TxError::Api(e) => e,
        }
    }
}

/// Store errors where the request named no subject.
impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Db(e) => ApiError::from(e),
            store::Error::Conn(e) => ApiError::from(e),
            store::Error::BadCursor => {
                ApiError::BadRequest("query parameter `cursor` is not valid here".to_owned())
            }
            store::Error::NotFound => ApiError::NotFound("No such resource.".to_owned()),
            store::Error::ChangesExpired { since, floor } => ApiError::ChangesExpired(format!(
                "the changes after position {since} are no longer kept (entries up to {floor} were pruned): \
                 read the content again, then follow the feed from the `next` of `GET /api/v1/changes`"
            )),
            store::Error::ChangesAhead { since, last } => ApiError::BadRequest(format!(
                "query parameter `since`: position {since} is beyond the last change ({last}); \
                 was it read from another database?"
            )),
            other => ApiError::from_store(
                other,
                Subject {
                    kind: "resource",
                    slug: "",
                },
            ),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                ApiError::Unavailable(
                    "The database cannot be reached; try again shortly.".to_owned(),
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::NotFound("No such resource.".to_owned()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                ApiError::Conflict(format!(
                    "A resource with these values already exists ({}).",
                    info.message()
                ))
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _)
            | Error::BrokenTransactionManager => {
                log::warn!("database connection lost: {e}");
                ApiError::Unavailable(
                    "The database connection was lost; try again shortly.".to_owned(),
                )
            }
            // A read replica cancels a query that conflicts with what it replays (reported as a serialization
            // failure), and refuses writes; a write that kept losing serialization retries ends here too. Each
            // is worth trying again, perhaps on another instance.
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)
            | Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => {
                log::warn!("database refused for now: {e}");
                ApiError::Unavailable("The database could not answer now; try again.".to_owned())
            }
            // A search PostgreSQL's parser cannot hold; `domain::search` keeps this from happening.
            Error::DatabaseError(_, ref info)
                if info.message().contains("tsquery stack too small") =>
            {
                ApiError::BadRequest("query parameter `q` is too complex to search".to_owned())
            }
            Error::DatabaseError(_, ref info) if is_timeout_or_shutdown(info.message()) => {
                log::warn!("database busy or restarting: {e}");
                ApiError::Unavailable(
                    "The database is busy or restarting; try again shortly.".to_owned(),
                )
            }
            other => ApiError::internal(other),
        }
    }
}

/// PostgreSQL reports a statement timeout and an administrator shutdown as plain errors; both are transient.
fn is_timeout_or_shutdown(message: &str) -> bool {
    message.contains("statement timeout")
        || message.contains("terminating connection")
        || message.contains("the database system is")
        || message.contains("server closed the connection")
}
