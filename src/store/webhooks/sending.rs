//! What the dispatcher does with deliveries: fan new change-log entries out to them, claim the due ones, record
//! each attempt's outcome, and prune the old ones.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Interval, Text};
use uuid::Uuid;

use crate::db::schema::{
    change_cursors, changes as change_log, webhook_attempts, webhook_deliveries, webhooks,
};
use crate::domain::article::Visibility;
use crate::domain::webhook;
use crate::store::changes::{self, Change, ChangeRow};

use super::interval;

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
