//! `/api/v1/tokens`: API tokens, for `admin` tokens only. A secret is shown once, when its token is created.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Caller;
use super::body::{self, BodyKind};
use super::problem::{ApiError, FieldError};
use super::views::{CreatedTokenView, TokenList, TokenView};
use crate::db;
use crate::domain::scope::Scope;
use crate::domain::token;
use crate::startup::AppState;
use crate::store::tokens as store;

/// A new token.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ci-publisher", "scopes": ["content:write"], "expires_at": "2027-11-01T00:00:00Z"}))]
pub struct TokenInput {
    /// 1 to 100 characters, to recognize the token by.
    #[serde(default)]
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// One or more of `content:read`, `content:write`, `admin`; each includes the ones before it.
    #[serde(default)]
    #[validate(length(min = 1, message = "at least one scope"))]
    pub scopes: Vec<Scope>,
    /// When the token stops working; never, when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

fn no_store() -> (header::HeaderName, HeaderValue) {
    (
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    )
}

/// Every token (never their secrets).
#[utoipa::path(
    tag = "tokens",
    responses(
        (status = 200, description = "The tokens, oldest first", body = TokenList),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[get("/tokens")]
pub async fn list_tokens(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let tokens = db::run(&state.pool, |conn| Ok::<_, ApiError>(store::list(conn)?)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(TokenList {
            data: tokens.into_iter().map(TokenView::from).collect(),
        }))
}

/// Create a token. The answer holds its secret: the only time it is shown.
#[utoipa::path(
    tag = "tokens",
    request_body = TokenInput,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = CreatedTokenView),
        (status = 400, response = super::responses::BadRequest),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 413, response = super::responses::PayloadTooLarge),
        (status = 415, response = super::responses::UnsupportedMediaType),
        (status = 422, response = super::responses::Validation),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[post("/tokens")]
pub async fn create_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    body::kind(&req, &[BodyKind::Json])?;
    let map = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    let input: TokenInput =
        body::fields(map, &["name", "scopes", "expires_at"], &["name", "scopes"])?;
    let mut errors = body::validation_errors(&input);
    if input
        .expires_at
        .is_some_and(|t| !crate::domain::time::representable(&t))
    {
        errors.push(FieldError::new(
            "expires_at",
            "range",
            "must be between years 0001 and 9999 (UTC)",
        ));
    }
    if input.expires_at.is_some_and(|t| t <= Utc::now()) {
        errors.push(FieldError::new(
            "expires_at",
            "range",
            "must be in the future",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let created = create(&state, input.name, input.scopes, input.expires_at).await?;
    Ok(HttpResponse::Created()
        .insert_header(no_store())
        .insert_header((
            header::LOCATION,
            format!("{}/tokens/{}", super::API_PREFIX, created.token.id),
        ))
        .json(created))
}

/// Creates a token and returns it with its secret; shared by the API and the CLI.
pub async fn create(
    state: &AppState,
    name: String,
    scopes: Vec<Scope>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<CreatedTokenView, ApiError> {
    let secret = token::generate();
    let hash = token::hash(&secret);
    let mut scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    scopes.sort();
    scopes.dedup();
    let record = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::create(conn, &name, &scopes, expires_at, &hash)?)
    })
    .await?;
    Ok(CreatedTokenView {
        token: TokenView::from(record),
        secret,
    })
}

/// Revoke a token: it stops working at once.
#[utoipa::path(
    tag = "tokens",
    params(("id" = uuid::Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = super::responses::Unauthorized),
        (status = 403, response = super::responses::Forbidden),
        (status = 404, response = super::responses::NotFound),
        (status = 503, response = super::responses::Unavailable),
    ),
    security(("token" = []))
)]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let missing = || ApiError::NotFound(format!("no token has the id `{id}`"));
    let uuid = uuid::Uuid::parse_str(&id).map_err(|_| missing())?;
    let revoked = db::run(&state.pool, move |conn| {
        Ok::<_, ApiError>(store::revoke(conn, uuid)?)
    })
    .await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(missing())
    }
}
