//! `/api/v1/webhooks`: webhook endpoints and their delivery logs, for `admin` tokens only. Deliveries are made by
//! the dispatcher (`crate::dispatch`); a secret is shown once, when its endpoint is created or rotated.

use actix_web::http::header;
use actix_web::web::{Path, Payload, Query};
use actix_web::{delete, get, patch, post, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::auth::Admin;
use super::body::{self, BodyKind};
use super::listing;
use super::problem::{ApiError, FieldError, TxError};
use super::responses::{Authorized, BadRequest, Conflict, NotFound, ScopedRead, Write};
use super::views::{
    DeliveryList, DeliveryListLinks, DeliveryListMeta, DeliveryStatus, DeliveryView, PingData,
    WebhookList, WebhookPing, WebhookView, WebhookWithSecret,
};
use super::{no_store, Answer, Ctx};
use crate::domain::webhook;
use crate::store::webhooks::{self as store, DeliveryQuery, WebhookRecord, WebhookWrite};
use crate::store::Error as StoreError;

/// How long a rotated-out secret keeps signing beside the new one.
pub const ROTATION_OVERLAP: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// An endpoint as written: every field of a `POST`, and of the result of a merge patch.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://example.com/webhooks/folio", "events": ["article.*", "tag.deleted"],
    "description": "Rebuild the site"}))]
pub struct WebhookInput {
    /// Where to POST: an absolute `http` or `https` URL of at most 2,000 characters, without credentials. Loopback,
    /// private, link-local and other non-public addresses are refused (by name too, when each delivery resolves
    /// it) unless the server's `FOLIO_WEBHOOK_ALLOW_PRIVATE` setting allows them. Redirects are not followed.
    #[schema(
        required = true,
        max_length = 2000,
        example = "https://example.com/webhooks/folio"
    )]
    pub url: String,
    /// The event types to receive: names (`article.published`), a resource's every event (`article.*`), or
    /// `*`. Known types: `article.created`, `article.published`, `article.updated`, `article.unpublished`,
    /// `article.deleted`, `tag.created`, `tag.updated`, `tag.deleted`, `author.created`, `author.updated`,
    /// `author.deleted`, `page.created`, `page.published`, `page.updated`, `page.unpublished`, `page.deleted`,
    /// `site.updated`, `ping`.
    #[schema(required = true, min_items = 1, max_items = 20, value_type = Vec<EventPattern>)]
    pub events: Vec<String>,
    /// Up to 500 characters, for people.
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000]*$")]
    pub description: Option<String>,
    /// Whether it receives events (default true). Enabling a disabled endpoint clears `disabled_reason`.
    #[serde(default = "enabled")]
    pub enabled: bool,
}

/// An entry of `events`: an event type, a resource's every event (`article.*`), or `*`.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(
    example = "article.published",
    pattern = r"^(\*|(article|tag|author|page|site)\.\*|(article|page)\.(created|published|updated|unpublished|deleted)|(tag|author)\.(created|updated|deleted)|site\.updated|ping)$"
)]
pub struct EventPattern(String);

/// A merge patch of an endpoint: any of its fields (`null` clears `description`; the others cannot be cleared).
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true}))]
pub struct WebhookPatch {
    #[schema(
        nullable = false,
        max_length = 2000,
        pattern = r"^https?://[^\s\u0000/?#@]+([/?#][^\s\u0000]*)?$"
    )]
    url: Option<String>,
    #[schema(nullable = false, min_items = 1, max_items = 20, value_type = Option<Vec<EventPattern>>)]
    events: Option<Vec<String>>,
    #[schema(max_length = 500, pattern = r"^[^\u0000]*$")]
    description: Option<String>,
    #[schema(nullable = false)]
    enabled: Option<bool>,
}

fn enabled() -> bool {
    true
}

const FIELDS: [&str; 4] = ["url", "events", "description", "enabled"];

/// The endpoint's write (its URL as parsed, so stored normalized), or the field errors of `input`. `kept` is the
/// endpoint's current URL on a patch: an unchanged URL is not refused for its address (an instance with the
/// guard on can still disable an endpoint another instance allowed).
fn check(
    input: WebhookInput,
    allow_private: bool,
    kept: Option<&str>,
) -> Result<WebhookWrite, ApiError> {
    let mut errors = Vec::new();
    let unchanged = kept.is_some_and(|k| k == input.url.trim());
    let url = match webhook::check_url(input.url.trim(), allow_private || unchanged) {
        Ok(url) => url.to_string(),
        Err(message) => {
            errors.push(FieldError::new("url", "format", message));
            String::new()
        }
    };
    if input.events.is_empty() || input.events.len() > 20 {
        errors.push(FieldError::new(
            "events",
            "length",
            "must list 1 to 20 event types",
        ));
    }
    for (i, event) in input.events.iter().enumerate() {
        if !webhook::valid_pattern(event) {
            errors.push(FieldError::new(
                format!("events[{i}]"),
                "format",
                format!("`{event}` is not an event type, a `resource.*` pattern or `*`"),
            ));
        }
    }
    let description = input
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        errors.push(FieldError::new(
            "description",
            "length",
            "must be at most 500 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut events = input.events;
    events.sort();
    events.dedup();
    Ok(WebhookWrite {
        url: if unchanged {
            input.url.trim().to_owned()
        } else {
            url
        },
        description,
        events,
        enabled: input.enabled,
    })
}

fn input(map: Map<String, Value>, required: &[&str]) -> Result<WebhookInput, ApiError> {
    body::fields(map, &FIELDS, required)
}

fn webhook_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| missing(text))
}

fn missing(id: &str) -> ApiError {
    ApiError::NotFound(format!("no webhook has the id `{id}`"))
}

/// A store error about the webhook `id` (or one of its deliveries) as a problem.
fn about(id: &str) -> impl Fn(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(format!(
            "no webhook has the id `{id}`, or it has no such delivery"
        )),
        StoreError::Disabled => ApiError::Conflict(format!(
            "webhook `{id}` is disabled: enable it first (PATCH `enabled: true`)"
        )),
        StoreError::BadCursor => ApiError::BadRequest(
            "query parameter `before`: not a delivery of this webhook".to_owned(),
        ),
        other => ApiError::from(other),
    }
}

/// Every webhook endpoint.
///
/// Oldest first, without their secrets.
#[utoipa::path(
    tag = "webhooks",
    responses((status = 200, description = "The endpoints, oldest first", body = WebhookList), ScopedRead),
    security(("token" = []))
)]
#[get("/webhooks")]
pub async fn list_webhooks(Ctx { state, .. }: Ctx, _: Admin) -> Answer {
    let rows = super::run(&state, store::list).await?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(WebhookList {
            data: rows.into_iter().map(WebhookView::from).collect(),
        }))
}

/// Create a webhook endpoint. The answer holds its signing secret: the only time it is shown.
///
/// The endpoint receives the events logged from now on, signed per the Standard Webhooks specification (see the
/// `WebhookEvent` schema for the body and headers). Deliveries are at least once: a non-2xx answer, a timeout
/// (`FOLIO_WEBHOOK_TIMEOUT_MS`, 10 s by default) or a refused connection is retried with exponential backoff and
/// jitter (about 5 s, 15 s, 45 s, ... up to 6 h between tries, 12 attempts over about a day); after the last,
/// or at once on `410 Gone`, the endpoint is disabled with the reason. Receivers should deduplicate on
/// `webhook-id` and order by `data.position`.
#[utoipa::path(
    tag = "webhooks",
    request_body = WebhookInput,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = WebhookWithSecret,
         headers(("Location" = String, description = "The endpoint's URL"))),
        Write,
    ),
    security(("token" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(Ctx { req, state }: Ctx, _: Admin, payload: Payload) -> Answer {
    body::kind(&req, &[BodyKind::Json])?;
    let map = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    let write = check(
        input(map, &["url", "events"])?,
        state.config.webhook_allow_private,
        None,
    )?;
    let (record, secret) = super::run(&state, move |conn| store::create(conn, &write)).await?;
    let id = record.id;
    Ok(HttpResponse::Created()
        .insert_header(no_store())
        .insert_header((
            header::LOCATION,
            format!("{}/webhooks/{id}", super::API_PREFIX),
        ))
        .json(WebhookWithSecret {
            webhook: record.into(),
            secret,
        }))
}

/// One webhook endpoint.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookView),
        (status = 404, response = NotFound),
        ScopedRead,
    ),
    security(("token" = []))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(Ctx { state, .. }: Ctx, _: Admin, id: Path<String>) -> Answer {
    let uuid = webhook_id(&id)?;
    let record = super::run(&state, move |conn| store::get(conn, uuid))
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => missing(&id),
            other => other,
        })?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(WebhookView::from(record)))
}

/// Change a webhook endpoint (JSON merge patch).
///
/// `url`, `events`, `description` and `enabled`; enabling a disabled endpoint clears its `disabled_reason` and
/// resumes its pending deliveries.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    request_body(content(
        (WebhookPatch = "application/merge-patch+json", example = json!({"enabled": true})),
        (WebhookPatch = "application/json", example = json!({"events": ["*"]})),
    )),
    responses(
        (status = 200, description = "The endpoint as it now is", body = WebhookView),
        (status = 404, response = NotFound),
        Write,
    ),
    security(("token" = []))
)]
#[patch("/webhooks/{id}")]
pub async fn patch_webhook(
    Ctx { req, state }: Ctx,
    _: Admin,
    id: Path<String>,
    payload: Payload,
) -> Answer {
    let uuid = webhook_id(&id)?;
    body::kind(&req, &[BodyKind::MergePatch, BodyKind::Json])?;
    let patch = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    body::known_fields(&patch, &FIELDS)?;
    let patch = Value::Object(patch);
    let allow_private = state.config.webhook_allow_private;
    let record = crate::db::run(&state.pool, move |conn| {
        store::update_with::<TxError>(conn, uuid, |current: &WebhookRecord| {
            let mut merged = serde_json::json!({
                "url": current.url,
                "events": current.events,
                "description": current.description,
                "enabled": current.enabled,
            });
            json_patch::merge(&mut merged, &patch);
            let Value::Object(map) = merged else {
                return Err(TxError::Api(ApiError::BadRequest(
                    "the patch must be a JSON object".to_owned(),
                )));
            };
            // Merging `null` removes a field: `url`, `events` and `enabled` cannot be removed.
            input(map, &["url", "events", "enabled"])
                .and_then(|i| check(i, allow_private, Some(&current.url)))
                .map_err(TxError::Api)
        })
    })
    .await
    .map_err(|e| match e {
        TxError::Api(e) => e,
        TxError::Store(e) => about(&id)(e),
    })?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(WebhookView::from(record)))
}

/// Delete a webhook endpoint and its delivery log.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Deleted; nothing more is sent to it"),
        (status = 404, response = NotFound),
        Authorized,
    ),
    security(("token" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(Ctx { state, .. }: Ctx, _: Admin, id: Path<String>) -> Answer {
    let uuid = webhook_id(&id)?;
    crate::db::run(&state.pool, move |conn| store::delete(conn, uuid))
        .await
        .map_err(about(&id))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give a webhook endpoint a new signing secret. The answer holds it: the only time it is shown.
///
/// For 24 hours the old secret signs too (a second `v1,` value in `webhook-signature`), so a receiver can be
/// switched to the new secret without missing a delivery.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The new secret, shown this once", body = WebhookWithSecret),
        (status = 404, response = NotFound),
        Authorized,
    ),
    security(("token" = []))
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(Ctx { state, .. }: Ctx, _: Admin, id: Path<String>) -> Answer {
    let uuid = webhook_id(&id)?;
    let (record, secret) = crate::db::run(&state.pool, move |conn| {
        store::rotate(conn, uuid, ROTATION_OVERLAP)
    })
    .await
    .map_err(about(&id))?;
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(WebhookWithSecret {
            webhook: record.into(),
            secret,
        }))
}

/// Send a `ping` to a webhook endpoint now.
///
/// Queued like any event (whatever the endpoint's `events`) and delivered within moments; its delivery (answered
/// here) shows in the log with the receiver's answer. A disabled endpoint answers 409: enable it first.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 202, description = "Queued", body = DeliveryView),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        Authorized,
    ),
    security(("token" = []))
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(Ctx { state, .. }: Ctx, _: Admin, id: Path<String>) -> Answer {
    let uuid = webhook_id(&id)?;
    let body = serde_json::to_string(&WebhookPing {
        kind: "ping".to_owned(),
        timestamp: Utc::now(),
        data: PingData { webhook_id: uuid },
    })
    .map_err(ApiError::internal)?;
    let delivery = crate::db::run(&state.pool, move |conn| {
        store::enqueue(conn, uuid, "ping", &body)
    })
    .await
    .map_err(about(&id))?;
    Ok(HttpResponse::Accepted()
        .insert_header(no_store())
        .json(DeliveryView::from(delivery)))
}

/// Query parameters of a delivery log. Unknown parameters are rejected.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Only deliveries in this state: `pending`, `delivered` or `failed`.
    #[param(value_type = Option<DeliveryStatus>, example = "failed")]
    pub status: Option<String>,
    /// Only deliveries older than this one (the last id of the previous page; `links.next` carries it).
    #[param(value_type = Option<Uuid>)]
    pub before: Option<String>,
    /// Deliveries per page, 1 to 100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
}

/// A webhook endpoint's delivery log.
///
/// Newest first: each delivery with its state, every attempt (time, duration, the receiver's status code, the
/// error) and the body sent. Finished deliveries are kept as long as change-log entries.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id"), DeliveryParams),
    responses(
        (status = 200, description = "Deliveries, newest first", body = DeliveryList),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        ScopedRead,
    ),
    security(("token" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    Ctx { req, state }: Ctx,
    _: Admin,
    id: Path<String>,
    params: Query<DeliveryParams>,
) -> Answer {
    let uuid = webhook_id(&id)?;
    let params = params.into_inner();
    let status = match params.status.as_deref() {
        None => None,
        Some(s @ ("pending" | "delivered" | "failed")) => Some(s.to_owned()),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "query parameter `status`: must be `pending`, `delivered` or `failed`".to_owned(),
            ))
        }
    };
    let before = match params.before.as_deref() {
        None => None,
        Some(text) => Some(Uuid::parse_str(text).map_err(|_| {
            ApiError::BadRequest("query parameter `before`: must be a delivery id".to_owned())
        })?),
    };
    let limit = listing::integer("limit", params.limit.as_deref(), 1, 100, 20)?;
    let query = DeliveryQuery {
        status,
        before,
        limit,
    };
    let (rows, more) = crate::db::run(&state.pool, move |conn| {
        store::deliveries(conn, uuid, &query)
    })
    .await
    .map_err(about(&id))?;
    let next = more
        .then(|| rows.last().map(|d| d.record.id))
        .flatten()
        .map(|last| listing::link(&req, &[("before", Some(last.to_string()))]));
    Ok(HttpResponse::Ok()
        .insert_header(no_store())
        .json(DeliveryList {
            data: rows.into_iter().map(DeliveryView::from).collect(),
            meta: DeliveryListMeta { has_more: more },
            links: DeliveryListLinks {
                this: this_link(&req),
                next,
            },
        }))
}

fn this_link(req: &HttpRequest) -> String {
    listing::link(req, &[])
}

/// Send a delivery again now.
///
/// With the same `webhook-id` (receivers that already handled it can skip it), a new timestamp and signature. A
/// delivered, failed or pending delivery gets one more attempt at once; if it fails, a delivery with retries left
/// continues its schedule, and one that had used them all is given up again (disabling its endpoint). A disabled
/// endpoint's deliveries wait until it is enabled.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint's id"),
        ("delivery_id" = Uuid, Path, description = "The delivery's id"),
    ),
    responses(
        (status = 202, description = "Queued", body = DeliveryView),
        (status = 404, response = NotFound),
        Authorized,
    ),
    security(("token" = []))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(Ctx { state, .. }: Ctx, _: Admin, path: Path<(String, String)>) -> Answer {
    let (id, delivery) = path.into_inner();
    let uuid = webhook_id(&id)?;
    let delivery_id = Uuid::parse_str(&delivery)
        .map_err(|_| ApiError::NotFound(format!("webhook `{id}` has no delivery `{delivery}`")))?;
    let delivery = crate::db::run(&state.pool, move |conn| {
        store::redeliver(conn, uuid, delivery_id)
    })
    .await
    .map_err(about(&id))?;
    Ok(HttpResponse::Accepted()
        .insert_header(no_store())
        .json(DeliveryView::from(delivery)))
}
