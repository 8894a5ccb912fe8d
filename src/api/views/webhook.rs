//! Webhook endpoints, their deliveries, and the bodies Folio sends them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{rfc3339, rfc3339_opt, ChangeView};
use crate::store::webhooks::{AttemptRecord, Delivery, WebhookRecord};

/// A webhook endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "5d0c1e8a-3f7b-4b8e-9f3e-2a1b0c9d8e7f", "url": "https://example.com/webhooks/folio",
    "description": "Rebuild the site", "events": ["article.*"], "enabled": true, "disabled_reason": null,
    "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z"}))]
pub struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// Event types it receives: names (`article.published`), a resource's every event (`article.*`), or `*`.
    pub events: Vec<String>,
    /// False when an admin turned it off, or Folio did after sustained failure (see `disabled_reason`). A
    /// disabled endpoint is sent nothing; events logged meanwhile are not queued for it (the change feed has them).
    pub enabled: bool,
    /// Why Folio disabled it, when it did: the last failure and how long deliveries failed.
    pub disabled_reason: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRecord> for WebhookView {
    fn from(w: WebhookRecord) -> Self {
        WebhookView {
            id: w.id,
            url: w.url,
            description: w.description,
            events: w.events,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// An endpoint with its signing secret: answered once, when the endpoint is created or its secret rotated.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"webhook": {"id": "5d0c1e8a-3f7b-4b8e-9f3e-2a1b0c9d8e7f",
    "url": "https://example.com/webhooks/folio", "description": null, "events": ["*"], "enabled": true,
    "disabled_reason": null, "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z"},
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))]
pub struct WebhookWithSecret {
    pub webhook: WebhookView,
    /// The Standard Webhooks signing secret (`whsec_` and base64): give it to the receiver's verifying library.
    pub secret: String,
}

/// Every webhook endpoint, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<WebhookView>,
}

/// One attempt to deliver.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"attempt": 1, "at": "2026-11-30T09:00:01Z", "duration_ms": 84, "status_code": 500,
    "error": "the receiver answered 500"}))]
pub struct AttemptView {
    /// 1 for the first.
    pub attempt: i32,
    #[serde(serialize_with = "rfc3339")]
    pub at: DateTime<Utc>,
    pub duration_ms: i32,
    /// The receiver's status code, when it answered.
    pub status_code: Option<i32>,
    /// Why the attempt failed (none when it succeeded).
    pub error: Option<String>,
}

impl From<AttemptRecord> for AttemptView {
    fn from(a: AttemptRecord) -> Self {
        AttemptView {
            attempt: a.attempt,
            at: a.at,
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error,
        }
    }
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not delivered yet: it will be attempted at `next_attempt_at`.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Given up after its last attempt.
    Failed,
}

/// One event sent (or to be sent) to one endpoint, with every attempt.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "webhook_id": "5d0c1e8a-3f7b-4b8e-9f3e-2a1b0c9d8e7f",
    "message_id": "msg_9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c5d", "event_type": "article.published", "position": 42,
    "status": "delivered", "next_attempt_at": null, "created_at": "2026-11-30T09:00:00Z",
    "delivered_at": "2026-11-30T09:00:06Z",
    "attempts": [{"attempt": 1, "at": "2026-11-30T09:00:01Z", "duration_ms": 84, "status_code": 500, "error": "the receiver answered 500"},
                 {"attempt": 2, "at": "2026-11-30T09:00:06Z", "duration_ms": 12, "status_code": 204, "error": null}],
    "payload": {"type": "article.published", "timestamp": "2026-11-30T09:00:00Z", "data": {"position": 42}}}))]
pub struct DeliveryView {
    pub id: Uuid,
    pub webhook_id: Uuid,
    /// The `webhook-id` header of every attempt: the same on retries and redeliveries, so receivers can
    /// deduplicate.
    pub message_id: String,
    pub event_type: String,
    /// The change it announces (none for a ping).
    pub position: Option<i64>,
    pub status: DeliveryStatus,
    /// When a pending delivery is next attempted.
    #[serde(serialize_with = "rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub attempts: Vec<AttemptView>,
    /// The body sent, as JSON.
    #[schema(value_type = DeliveryPayload)]
    pub payload: Value,
}

/// A delivery's body: an event or a ping.
#[derive(ToSchema)]
#[allow(dead_code, clippy::large_enum_variant)]
#[serde(untagged)]
pub enum DeliveryPayload {
    Event(WebhookEvent),
    Ping(WebhookPing),
}

/// The `webhook-id` of a delivery.
pub fn message_id(delivery: Uuid) -> String {
    format!("msg_{}", delivery.simple())
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        let r = d.record;
        let status = match r.status.as_str() {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        };
        DeliveryView {
            id: r.id,
            webhook_id: r.webhook_id,
            message_id: message_id(r.id),
            event_type: r.event_type,
            position: r.position,
            status,
            next_attempt_at: matches!(status, DeliveryStatus::Pending).then_some(r.next_attempt_at),
            created_at: r.created_at,
            delivered_at: r.delivered_at,
            attempts: d.attempts.into_iter().map(AttemptView::from).collect(),
            payload: serde_json::from_str(&r.payload).unwrap_or(Value::Null),
        }
    }
}

/// Where a delivery log page stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryListMeta {
    /// Whether older deliveries follow (`links.next`).
    pub has_more: bool,
}

/// Links of a delivery log page.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryListLinks {
    #[serde(rename = "self")]
    pub this: String,
    /// The next (older) page.
    pub next: Option<String>,
}

/// An endpoint's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryView>,
    pub meta: DeliveryListMeta,
    pub links: DeliveryListLinks,
}

/// The body of a webhook announcing a change. Sent as a POST with `content-type: application/json` and the
/// Standard Webhooks headers: `webhook-id` (the delivery's `message_id`, the same on every retry),
/// `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature` (`v1,` and the base64
/// HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the secret's base64-decoded bytes; two
/// such values, space-separated, while a rotated secret's overlap lasts).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "article.published", "timestamp": "2026-11-30T09:00:00Z",
    "data": {"position": 42, "type": "article.published", "at": "2026-11-30T09:00:00Z", "resource": "article",
    "id": "0b9f3c5e-8d1a-4c1e-9a51-0d3c2b1a7f00", "slug": "message-queues-explained", "previous_slug": null,
    "public": true}}))]
pub struct WebhookEvent {
    /// The change's type (`data.type`).
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change happened.
    #[serde(serialize_with = "rfc3339")]
    pub timestamp: DateTime<Utc>,
    /// The change, as the change feed shows it with a `content:read` token (drafts' cards included).
    pub data: ChangeView,
}

/// What a ping carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct PingData {
    pub webhook_id: Uuid,
}

/// The body of a ping (`POST /api/v1/webhooks/{id}/ping`), with the same headers as every event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "ping", "timestamp": "2026-11-30T09:00:00Z",
    "data": {"webhook_id": "5d0c1e8a-3f7b-4b8e-9f3e-2a1b0c9d8e7f"}}))]
pub struct WebhookPing {
    /// Always `ping`.
    #[serde(rename = "type")]
    #[schema(example = "ping")]
    pub kind: String,
    #[serde(serialize_with = "rfc3339")]
    pub timestamp: DateTime<Utc>,
    pub data: PingData,
}
