//! `/api/v1/tokens`: API tokens, for `admin` tokens only. A secret is shown once, when its token is created.

use actix_web::http::header;
use actix_web::web::{Path, Payload};
use actix_web::{delete, get, post, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::auth::Admin;
use super::body::{self, BodyKind};
use super::problem::{ApiError, FieldError};
use super::responses::{Authorized, NotFound, ScopedRead, Write};
use super::views::{CreatedTokenView, TokenList, TokenView};
use super::{no_store, Answer, Ctx};
use crate::domain::field_error;
use crate::domain::scope::Scope;
use crate::store::tokens as store;

/// A new token.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "ci-publisher", "scopes": ["content:write"], "expires_at": "2027-11-01T00:00:00Z"}))]
pub struct TokenInput {
    /// 1 to 100 characters, to recognize the token by.
    #[serde(default)]
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub name: String,
    /// One or more of `content:read`, `content:write`, `admin`; each includes the ones before it.
    #[serde(default)]
    #[validate(length(min = 1, message = "at least one scope"))]
    #[schema(required = true, min_items = 1)]
    pub scopes: Vec<Scope>,
    /// When the token stops working; never, when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Every token (never their secrets).
///
/// Oldest first, with their scopes and when each was created, last used (to the minute) and expires.
#[utoipa::path(
    tag = "tokens",
    responses(
        (status = 200, description = "The tokens, oldest first", body = TokenList),
        ScopedRead,
    ),
    security(("token" = []))
)]
#[get("/tokens")]
pub async fn list_tokens(cx: Ctx, _: Admin) -> Answer {
    let state = &cx.state;
    let tokens = super::run(state, store::list).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(TokenList {
            data: tokens.into_iter().map(TokenView::from).collect(),
        }))
}

/// Create a token. The answer holds its secret: the only time it is shown.
///
/// Scopes nest (`content:read` within `content:write` within `admin`); `expires_at`, if given, must be ahead.
#[utoipa::path(
    tag = "tokens",
    request_body = TokenInput,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = CreatedTokenView),
        Write,
    ),
    security(("token" = []))
)]
#[post("/tokens")]
pub async fn create_token(Ctx { req, state }: Ctx, _: Admin, payload: Payload) -> Answer {
    body::kind(&req, &[BodyKind::Json])?;
    let map = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    let mut input: TokenInput =
        body::fields(map, &["name", "scopes", "expires_at"], &["name", "scopes"])?;
    // Names are stored trimmed, so they are validated trimmed: a blank name is a 422.
    input.name = input.name.trim().to_owned();
    let mut errors = field_error::from_validator(&input);
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
    let (record, secret) = super::run(&state, move |conn| {
        store::issue(conn, &input.name, &input.scopes, input.expires_at)
    })
    .await?;
    let created = CreatedTokenView {
        token: TokenView::from(record),
        secret,
    };
    Ok(HttpResponse::Created()
        .insert_header(no_store())
        .insert_header((
            header::LOCATION,
            format!("{}/tokens/{}", super::API_PREFIX, created.token.id),
        ))
        .json(created))
}

/// Revoke a token: it stops working at once.
///
/// On every instance, since each request looks its token up in the database.
#[utoipa::path(
    tag = "tokens",
    params(("id" = uuid::Uuid, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, response = NotFound),
        Authorized,
    ),
    security(("token" = []))
)]
#[delete("/tokens/{id}")]
pub async fn revoke_token(cx: Ctx, _: Admin, id: Path<String>) -> Answer {
    let state = &cx.state;
    let missing = || ApiError::NotFound(format!("no token has the id `{id}`"));
    let uuid = uuid::Uuid::parse_str(&id).map_err(|_| missing())?;
    let revoked = super::run(state, move |conn| store::revoke(conn, uuid)).await?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(missing())
    }
}
