//! The delivery log: deliveries with their attempts, as an admin reads them, and the ones an admin queues (a
//! ping, a redelivery).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Integer;
use uuid::Uuid;

use crate::db::schema::{webhook_attempts, webhook_deliveries};
use crate::domain::webhook;
use crate::store::{Error, Result};

use super::get;

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
