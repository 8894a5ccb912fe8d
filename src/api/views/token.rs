//! API tokens as they leave the server: never a secret, except once at creation.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{rfc3339, rfc3339_opt};
use crate::store::tokens::TokenRecord;

/// An API token. The secret is never listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "5d0c8d4e-0f59-4c55-a2a4-3b1f0f9a6f11", "name": "ci-publisher",
    "scopes": ["content:write"], "created_at": "2026-11-01T08:00:00Z", "last_used_at": null, "expires_at": null}))]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<crate::domain::scope::Scope>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            scopes: t.scopes.iter().filter_map(|s| s.parse().ok()).collect(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        }
    }
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "5d0c8d4e-0f59-4c55-a2a4-3b1f0f9a6f11", "name": "ci-publisher",
    "scopes": ["content:write"], "created_at": "2026-11-01T08:00:00Z", "last_used_at": null, "expires_at": null,
    "secret": "folio_EXAMPLE-shown-once-never-a-real-secret"}))]
pub struct CreatedTokenView {
    #[serde(flatten)]
    pub token: TokenView,
    /// Shown once; only its hash is stored.
    pub secret: String,
}

/// Every API token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": [{"id": "5d0c8d4e-0f59-4c55-a2a4-3b1f0f9a6f11", "name": "ci-publisher", "scopes": ["content:write"], "created_at": "2026-11-01T08:00:00Z", "last_used_at": null, "expires_at": null}]}))]
pub struct TokenList {
    pub data: Vec<TokenView>,
}
