//! Webhook endpoints and their deliveries (migration `change_log`).
//!
//! Every instance runs the same loop (`dispatch`): turn new change-log entries into deliveries, claim the due
//! ones, send them, record the outcome. Both steps are safe with many instances on one database: the fan-out
//! holds the `webhooks` cursor's row (`FOR UPDATE SKIP LOCKED`: one instance at a time, the others skip), and a
//! claim moves a delivery's `next_attempt_at` past the attempt's timeout in the same statement that selects it
//! with `SKIP LOCKED`, so no two instances send the same attempt, and a claim lost with its instance is retried.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Interval, Text};
use uuid::Uuid;

use super::changes::{self, Change, ChangeRow};
use super::{Error, Result};
use crate::db::schema::{
    change_cursors, changes as change_log, webhook_attempts, webhook_deliveries, webhooks,
};
use crate::domain::article::Visibility;
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

fn interval(d: Duration) -> diesel::pg::data_types::PgInterval {
    diesel::pg::data_types::PgInterval::from_microseconds(
        i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
    )
}

/// A delivery as its log shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries, check_for_backend(diesel::pg::Pg))]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub seq: i64,
    pub webhook_id: Uuid,
    pub event_type: String,
    pub position: Option<i64>,
    pub payload: String,
    pub status: String,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts, check_for_backend(diesel::pg::Pg))]
pub struct AttemptRecord {
    pub delivery_id: Uuid,
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub duration_ms: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
}

/// A delivery with its attempts, oldest first.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub record: DeliveryRecord,
    pub attempts: Vec<AttemptRecord>,
}

fn with_attempts(conn: &mut PgConnection, rows: Vec<DeliveryRecord>) -> QueryResult<Vec<Delivery>> {
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let mut attempts: Vec<AttemptRecord> = webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .select(AttemptRecord::as_select())
        .order_by((webhook_attempts::delivery_id, webhook_attempts::attempt))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|record| {
            let (mine, rest) = attempts.drain(..).partition(|a| a.delivery_id == record.id);
            attempts = rest;
            Delivery {
                record,
                attempts: mine,
            }
        })
        .collect())
}

/// Which deliveries a log page shows.
#[derive(Debug, Clone)]
pub struct DeliveryQuery {
    pub status: Option<String>,
    /// Only deliveries older than this one (the previous page's last).
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// The endpoint's deliveries, newest first: a page of `limit`, and whether older ones follow.
pub fn deliveries(
    conn: &mut PgConnection,
    webhook_id: Uuid,
    q: &DeliveryQuery,
) -> Result<(Vec<Delivery>, bool)> {
    get(conn, webhook_id)?;
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(DeliveryRecord::as_select())
        .order_by(webhook_deliveries::seq.desc())
        .limit(q.limit + 1)
        .into_boxed();
    if let Some(status) = &q.status {
        query = query.filter(webhook_deliveries::status.eq(status.clone()));
    }
    if let Some(before) = q.before {
        let seq: i64 = webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(before))
            .filter(webhook_deliveries::webhook_id.eq(webhook_id))
            .select(webhook_deliveries::seq)
            .first(conn)
            .optional()?
            .ok_or(Error::BadCursor)?;
        query = query.filter(webhook_deliveries::seq.lt(seq));
    }
    let mut rows = query.load(conn)?;
    let more = rows.len() as i64 > q.limit;
    rows.truncate(usize::try_from(q.limit).unwrap_or(0));
    Ok((with_attempts(conn, rows)?, more))
}

/// One delivery of the endpoint.
pub fn delivery(conn: &mut PgConnection, webhook_id: Uuid, id: Uuid) -> Result<Delivery> {
    let row = webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .select(DeliveryRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)?;
    with_attempts(conn, vec![row])?.pop().ok_or(Error::NotFound)
}

/// Queues a delivery of `payload` to the endpoint, due now.
pub fn enqueue(
    conn: &mut PgConnection,
    webhook_id: Uuid,
    event_type: &str,
    payload: &str,
) -> Result<Delivery> {
    if !get(conn, webhook_id)?.enabled {
        return Err(Error::Disabled);
    }
    let row = diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::webhook_id.eq(webhook_id),
            webhook_deliveries::event_type.eq(event_type),
            webhook_deliveries::payload.eq(payload),
        ))
        .returning(DeliveryRecord::as_returning())
        .get_result(conn)
        // Deleted since it was read.
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            ) => Error::NotFound,
            other => other.into(),
        })?;
    Ok(Delivery {
        record: row,
        attempts: Vec::new(),
    })
}

/// Sends the delivery again as soon as possible: one more attempt (its retries, if it fails, follow the schedule
/// from where it stopped, with at least one more before it is given up again).
pub fn redeliver(conn: &mut PgConnection, webhook_id: Uuid, id: Uuid) -> Result<Delivery> {
    let updated = diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(id))
            .filter(webhook_deliveries::webhook_id.eq(webhook_id)),
    )
    .set((
        webhook_deliveries::status.eq("pending"),
        webhook_deliveries::delivered_at.eq(None::<DateTime<Utc>>),
        webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
        webhook_deliveries::attempts.eq(diesel::dsl::sql::<Integer>(&format!(
            "LEAST(attempts, {})",
            webhook::MAX_ATTEMPTS - 1
        ))),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::NotFound);
    }
    delivery(conn, webhook_id, id)
}

/// Turns the entries logged since the last fan-out (at most `batch`) into deliveries, one per entry and endpoint
/// that wants it, each with the body `render` makes of the entry; answers how many entries it read. Another
/// instance fanning out at the same moment makes this one skip (0).
pub fn fan_out(
    conn: &mut PgConnection,
    batch: i64,
    render: &dyn Fn(&Change) -> String,
) -> QueryResult<usize> {
    conn.transaction(|conn| {
        let Some(cursor) = change_cursors::table
            .find("webhooks")
            .select(change_cursors::position)
            .for_update()
            .skip_locked()
            .first::<i64>(conn)
            .optional()?
        else {
            return Ok(0);
        };
        let rows: Vec<ChangeRow> = change_log::table
            .select(ChangeRow::as_select())
            .filter(change_log::position.gt(cursor))
            .order_by(change_log::position.asc())
            .limit(batch)
            .load(conn)?;
        let Some(last) = rows.last().map(|r| r.position) else {
            return Ok(0);
        };
        let read = rows.len();
        let endpoints: Vec<(Uuid, Vec<String>, i64)> = webhooks::table
            .filter(webhooks::enabled.eq(true))
            .select((webhooks::id, webhooks::events, webhooks::since_position))
            .load(conn)?;
        let wanted = |row: &ChangeRow| -> Vec<Uuid> {
            endpoints
                .iter()
                .filter(|(_, events, since)| {
                    row.position > *since && webhook::wants(events, &row.kind)
                })
                .map(|(id, _, _)| *id)
                .collect()
        };
        let rows: Vec<ChangeRow> = rows.into_iter().filter(|r| !wanted(r).is_empty()).collect();
        for change in changes::with_resources(conn, Visibility::Any, rows)? {
            let payload = render(&change);
            for id in wanted(&change.row) {
                diesel::insert_into(webhook_deliveries::table)
                    .values((
                        webhook_deliveries::webhook_id.eq(id),
                        webhook_deliveries::event_type.eq(&change.row.kind),
                        webhook_deliveries::position.eq(change.row.position),
                        webhook_deliveries::payload.eq(&payload),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
        }
        diesel::update(change_cursors::table.find("webhooks"))
            .set(change_cursors::position.eq(last))
            .execute(conn)?;
        Ok(read)
    })
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub webhook_id: Uuid,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    /// The previous secret while a rotation's overlap lasts.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub previous_secret: Option<String>,
    #[diesel(sql_type = Text)]
    pub payload: String,
    /// This attempt's number, from 1.
    #[diesel(sql_type = Integer)]
    pub attempt: i32,
}

/// Claims up to `limit` due deliveries of enabled endpoints for one attempt each: their next attempt moves
/// `lease` ahead, so if this instance dies mid-attempt, another one retries after the lease.
pub fn claim(conn: &mut PgConnection, limit: i64, lease: Duration) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "WITH due AS ( \
             SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.enabled \
             ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + $2 \
         FROM due, webhooks w WHERE d.id = due.id AND w.id = d.webhook_id \
         RETURNING d.id, d.webhook_id, w.url, w.secret, \
             CASE WHEN w.previous_secret_until > now() THEN w.previous_secret END AS previous_secret, \
             d.payload, d.attempts AS attempt",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Interval, _>(interval(lease))
    .load(conn)
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub started: DateTime<Utc>,
    pub duration: Duration,
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

/// What follows an attempt.
#[derive(Debug, Clone)]
pub enum Then {
    Delivered,
    /// Try again after this long.
    Retry(Duration),
    /// Give up, and disable the endpoint for this reason.
    GiveUp(String),
}

/// Records the attempt and what follows it, in one transaction. Only the claim that made the attempt may: a
/// delivery that moved on meanwhile (claimed again after an overrun lease, redelivered, or deleted with its
/// endpoint) keeps its state, and its endpoint is not disabled on this attempt's account.
pub fn record(
    conn: &mut PgConnection,
    claimed: &Claimed,
    attempt: &Attempt,
    then: &Then,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        let current = webhook_deliveries::table
            .find(claimed.id)
            .filter(webhook_deliveries::status.eq("pending"))
            .filter(webhook_deliveries::attempts.eq(claimed.attempt))
            .select(webhook_deliveries::id)
            .for_update()
            .first::<Uuid>(conn)
            .optional()?;
        if current.is_none() {
            return Ok(());
        }
        diesel::insert_into(webhook_attempts::table)
            .values((
                webhook_attempts::delivery_id.eq(claimed.id),
                webhook_attempts::attempt.eq(claimed.attempt),
                webhook_attempts::at.eq(attempt.started),
                webhook_attempts::duration_ms
                    .eq(i32::try_from(attempt.duration.as_millis()).unwrap_or(i32::MAX)),
                webhook_attempts::status_code.eq(attempt.status_code.map(i32::from)),
                webhook_attempts::error.eq(&attempt.error),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        let delivery = webhook_deliveries::table.find(claimed.id);
        match then {
            Then::Delivered => diesel::update(delivery)
                .set((
                    webhook_deliveries::status.eq("delivered"),
                    webhook_deliveries::delivered_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?,
            Then::Retry(after) => diesel::sql_query(
                "UPDATE webhook_deliveries SET next_attempt_at = now() + $1 WHERE id = $2",
            )
            .bind::<Interval, _>(interval(*after))
            .bind::<diesel::sql_types::Uuid, _>(claimed.id)
            .execute(conn)?,
            Then::GiveUp(reason) => {
                diesel::update(webhooks::table.find(claimed.webhook_id))
                    .filter(webhooks::enabled.eq(true))
                    .set((
                        webhooks::enabled.eq(false),
                        webhooks::disabled_reason.eq(reason),
                        webhooks::updated_at.eq(diesel::dsl::now),
                    ))
                    .execute(conn)?;
                diesel::update(delivery)
                    .set(webhook_deliveries::status.eq("failed"))
                    .execute(conn)?
            }
        };
        Ok(())
    })
}

/// Deletes deliveries (and their attempts) older than `keep_days` days that are finished, or still waiting for a
/// disabled endpoint, one batch at a time.
pub fn prune(conn: &mut PgConnection, keep_days: u32) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM webhook_deliveries WHERE id IN ( \
             SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE (d.status <> 'pending' OR NOT w.enabled) \
             AND d.created_at < now() - make_interval(days => $1) LIMIT 10000)",
    )
    .bind::<Integer, _>(i32::try_from(keep_days).unwrap_or(i32::MAX))
    .execute(conn)
}
