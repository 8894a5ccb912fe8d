//! Webhook endpoints and their deliveries (migration `change_log`).
//!
//! Every instance runs the same loop (`dispatch`): turn new change-log entries into deliveries, claim the due
//! ones, send them, record the outcome. Both steps are safe with many instances on one database: the fan-out
//! holds the `webhooks` cursor's row (`FOR UPDATE SKIP LOCKED`: one instance at a time, the others skip), and a
//! claim moves a delivery's `next_attempt_at` past the attempt's timeout in the same statement that selects it
//! with `SKIP LOCKED`, so no two instances send the same attempt, and a claim lost with its instance is retried.

mod log;
mod sending;

pub use log::*;
pub use sending::*;

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Interval, Text};
use uuid::Uuid;

use super::changes;
use super::{Error, Result};
use crate::db::schema::webhooks;
use crate::domain::webhook;

/// An endpoint, without its secrets.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks, check_for_backend(diesel::pg::Pg))]
pub struct WebhookRecord {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a write sets.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = webhooks, treat_none_as_null = true)]
pub struct WebhookWrite {
    pub url: String,
    pub description: Option<String>,
    pub events: Vec<String>,
    pub enabled: bool,
}

/// Creates an endpoint with a new secret; it gets the events logged from now on. Answers the secret, which is
/// shown this once.
pub fn create(conn: &mut PgConnection, w: &WebhookWrite) -> QueryResult<(WebhookRecord, String)> {
    let secret = webhook::generate_secret();
    let since = changes::latest(conn)?;
    let record = diesel::insert_into(webhooks::table)
        .values((
            webhooks::url.eq(&w.url),
            webhooks::description.eq(&w.description),
            webhooks::events.eq(&w.events),
            webhooks::enabled.eq(w.enabled),
            webhooks::secret.eq(&secret),
            webhooks::since_position.eq(since),
        ))
        .returning(WebhookRecord::as_returning())
        .get_result(conn)?;
    Ok((record, secret))
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<WebhookRecord>> {
    webhooks::table
        .select(WebhookRecord::as_select())
        .order_by((webhooks::created_at.asc(), webhooks::id.asc()))
        .load(conn)
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<WebhookRecord> {
    webhooks::table
        .find(id)
        .select(WebhookRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)
}

/// Locks the endpoint, builds its new state from the current one with `merge`, and writes it. Enabling an
/// endpoint clears the reason it was disabled.
pub fn update_with<E>(
    conn: &mut PgConnection,
    id: Uuid,
    merge: impl FnOnce(&WebhookRecord) -> std::result::Result<WebhookWrite, E>,
) -> std::result::Result<WebhookRecord, E>
where
    E: From<Error> + From<diesel::result::Error>,
{
    conn.transaction(|conn| {
        let current: WebhookRecord = webhooks::table
            .find(id)
            .select(WebhookRecord::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(Error::NotFound)?;
        let w = merge(&current)?;
        let reason = if w.enabled {
            None
        } else {
            current.disabled_reason.clone()
        };
        Ok(diesel::update(webhooks::table.find(id))
            .set((
                &w,
                webhooks::disabled_reason.eq(reason),
                webhooks::updated_at.eq(diesel::dsl::now),
            ))
            .returning(WebhookRecord::as_returning())
            .get_result(conn)?)
    })
}

/// Deletes the endpoint and its delivery log.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    match diesel::delete(webhooks::table.find(id)).execute(conn)? {
        0 => Err(Error::NotFound),
        _ => Ok(()),
    }
}

/// Gives the endpoint a new secret; the old one keeps signing beside it (a second signature) for `overlap`, so
/// receivers can switch without losing a delivery. Answers the new secret, shown this once.
pub fn rotate(
    conn: &mut PgConnection,
    id: Uuid,
    overlap: Duration,
) -> Result<(WebhookRecord, String)> {
    let secret = webhook::generate_secret();
    let record = diesel::sql_query(
        "UPDATE webhooks SET previous_secret = secret, previous_secret_until = now() + $1, secret = $2, \
         updated_at = now() WHERE id = $3 \
         RETURNING id, url, description, events, enabled, disabled_reason, created_at, updated_at",
    )
    .bind::<Interval, _>(interval(overlap))
    .bind::<Text, _>(&secret)
    .bind::<diesel::sql_types::Uuid, _>(id)
    .get_result::<WebhookRow>(conn)
    .optional()?
    .ok_or(Error::NotFound)?;
    Ok((record.into(), secret))
}

#[derive(QueryableByName)]
struct WebhookRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    description: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    events: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    enabled: bool,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    disabled_reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for WebhookRecord {
    fn from(r: WebhookRow) -> Self {
        WebhookRecord {
            id: r.id,
            url: r.url,
            description: r.description,
            events: r.events,
            enabled: r.enabled,
            disabled_reason: r.disabled_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(super) fn interval(d: Duration) -> diesel::pg::data_types::PgInterval {
    diesel::pg::data_types::PgInterval::from_microseconds(
        i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
    )
}
