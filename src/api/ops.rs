//! Operational endpoints: liveness, readiness and the OpenAPI document.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::ApiError;
use super::responses::{Get, Unavailable};
use super::Spec;
use crate::db;
use crate::state::AppState;

/// The state of the process or of its database.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` for liveness, `ready` for readiness.
    pub status: &'static str,
}

/// Liveness: the process is up. Touches no database.
///
/// For a load balancer's or orchestrator's liveness check; `HEAD` works too.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = Health), Get)
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Readiness: the database answers and no migration is pending.
///
/// For a load balancer's readiness check: a `503` means this instance should get no traffic yet.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health,
         example = json!({"status": "ready"})),
        (status = 503, response = Unavailable),
        Get,
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    let pending = db::run(&state.pool, |conn| {
        db::has_pending_migrations(conn).map_err(|e| {
            // The detail (table and column names) is for the operator's log, not for anyone who asks.
            log::warn!("readiness: cannot read the migrations table: {e}");
            ApiError::Unavailable("The database cannot be read; see the server log.".to_owned())
        })
    })
    .await?;
    if pending {
        return Err(ApiError::Unavailable(
            "The database has migrations this version has not applied yet; run `folio migrate`."
                .to_owned(),
        ));
    }
    Ok(web::Json(Health { status: "ready" }))
}

/// This document: the OpenAPI 3.1 description of Folio's HTTP API.
///
/// Byte for byte the committed `openapi/openapi.json`; generate clients from it.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json",
               body = Object), Get)
)]
#[get("/openapi.json")]
pub async fn openapi_json(spec: web::Data<Spec>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.json.clone())
}
