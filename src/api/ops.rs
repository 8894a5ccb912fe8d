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

/// Readiness, and with read replicas configured, how each is doing.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "replicas": [
    {"name": "replica 1", "state": "healthy", "lag_ms": 12, "reads": 18234}
], "primary_reads": 311}))]
pub struct Readiness {
    /// `ready`.
    pub status: &'static str,
    /// The read replicas (`DATABASE_REPLICA_URLS`), in their configured order; absent without any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Vec<ReplicaHealth>>,
    /// Public reads the primary served because no replica could (absent without replicas).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_reads: Option<u64>,
}

/// One read replica as this instance's last check (every 100 ms) found it.
#[derive(Serialize, ToSchema)]
pub struct ReplicaHealth {
    /// `replica N`, its place in `DATABASE_REPLICA_URLS` (the URL itself is not shown).
    pub name: String,
    /// `healthy` (serving reads), `lagging` (behind by more than `FOLIO_REPLICA_MAX_LAG_MS`), `down` (no
    /// answer, from it or from the primary it is measured against), `not_replica` (not in recovery), `unknown`
    /// (not checked yet).
    #[schema(example = "healthy")]
    pub state: &'static str,
    /// How far behind the primary it is, to the check's resolution; absent when it could not be measured.
    pub lag_ms: Option<u64>,
    /// Public reads it has served since this instance started.
    pub reads: u64,
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
/// For a load balancer's readiness check: a `503` means this instance should get no traffic yet. With read
/// replicas, the body also tells how each is doing; a replica that is down or lagging does not make the
/// instance unready (the primary serves its reads).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness,
         example = json!({"status": "ready"})),
        (status = 503, response = Unavailable),
        Get,
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Readiness>, ApiError> {
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
    let (replicas, primary_reads) = if state.replicas.any() {
        let (replicas, primary_reads) = state.replicas.status();
        let replicas = replicas
            .into_iter()
            .map(|r| ReplicaHealth {
                name: r.name,
                state: r.state.as_str(),
                lag_ms: r.lag_ms,
                reads: r.reads,
            })
            .collect();
        (Some(replicas), Some(primary_reads))
    } else {
        (None, None)
    };
    Ok(web::Json(Readiness {
        status: "ready",
        replicas,
        primary_reads,
    }))
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
