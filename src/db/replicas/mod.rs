//! Read replicas: PostgreSQL streaming replicas of the primary that serve public reads.
//!
//! Who may read from a replica is decided per request by the HTTP layer (`public_reads`): an anonymous `GET` of
//! the API. Everything else (writes, token reads, the authentication lookup itself, every background loop) uses
//! the primary. Within a public read, a replica is chosen round robin among the healthy ones, and only when it
//! has replayed everything this instance knows to have changed:
//!
//! - **Health.** A monitor thread samples the primary's WAL position every `CHECK` and asks each replica what it
//!   has replayed. A replica is healthy when it answers, is in recovery, and has replayed at least what the
//!   primary had written `max_lag` ago (the lag is measured to the monitor's resolution). A replica that is down,
//!   promoted, or lagging is skipped until a check finds it well again; with none healthy, reads go to the primary.
//! - **No stale refill.** The response cache hears of a change by `NOTIFY`, at the primary's commit, which can be
//!   before a replica has replayed it. So before the cache forgets anything, the listener (and a write through
//!   this instance, before its response leaves) raises the *watermark* to the primary's WAL position, which is at
//!   or past that commit. A replica serves a read only when its replay position has reached the watermark (asked
//!   again on the connection when the monitor's last answer is older than the watermark), else the read goes to
//!   the primary. A response refilling the cache after an invalidation therefore never comes from a replica that
//!   has not yet replayed the change the invalidation was for.
//! - Replicas are for capacity, not for availability: their freshness is measured against the primary, so while
//!   the primary (or this instance's listener) is unreachable they serve nothing.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Nullable};
use diesel::{QueryResult, RunQueryDsl};

mod monitor;

use super::{Conn, DbError, Pool};

/// How long a read waits for a replica's connection before it tries the next database.
const REPLICA_WAIT: Duration = Duration::from_millis(250);
/// A verdict older than this (the monitor is stuck, say on a host that stopped answering) is no verdict.
const VERDICT_LIFE: Duration = Duration::from_secs(1);

tokio::task_local! {
    static PUBLIC_READ: ();
}

/// Runs `f` (a request's handling) as a public read: its store calls through `api::run` may go to a replica.
pub async fn public_reads<F: Future>(f: F) -> F::Output {
    PUBLIC_READ.scope((), f).await
}

/// Whether the current task is a public read.
pub fn in_public_read() -> bool {
    PUBLIC_READ.try_with(|_| ()).is_ok()
}

/// What a replica is, as the last check found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Not checked yet.
    Unknown,
    /// Serving reads.
    Healthy,
    /// Behind the primary by more than the bound.
    Lagging,
    /// Does not answer (or the primary, against which it is measured, does not).
    Down,
    /// Answers but is not in recovery: promoted, or not a replica at all.
    NotReplica,
}

impl ReplicaState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicaState::Unknown => "unknown",
            ReplicaState::Healthy => "healthy",
            ReplicaState::Lagging => "lagging",
            ReplicaState::Down => "down",
            ReplicaState::NotReplica => "not_replica",
        }
    }

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> ReplicaState {
        [
            ReplicaState::Unknown,
            ReplicaState::Healthy,
            ReplicaState::Lagging,
            ReplicaState::Down,
            ReplicaState::NotReplica,
        ]
        .get(usize::from(code))
        .copied()
        .unwrap_or(ReplicaState::Unknown)
    }
}

/// One replica as reported by `/readyz`.
#[derive(Debug, Clone)]
pub struct ReplicaStatus {
    pub name: String,
    pub state: ReplicaState,
    /// The measured lag, when the last check could measure it.
    pub lag_ms: Option<u64>,
    /// Reads this replica has served since the start.
    pub reads: u64,
}

struct Member {
    name: String,
    url: String,
    pool: Pool,
    state: std::sync::atomic::AtomicU8,
    /// The last replay position seen (WAL bytes from 0/0).
    replayed: AtomicU64,
    /// `u64::MAX` when unknown.
    lag_ms: AtomicU64,
    reads: AtomicU64,
    /// When the last check ended, in milliseconds since the monitor's start.
    checked_ms: AtomicU64,
}

impl Member {
    fn state(&self) -> ReplicaState {
        ReplicaState::from_code(self.state.load(Ordering::Acquire))
    }

    fn set(&self, state: ReplicaState, lag_ms: Option<u64>) {
        let before = ReplicaState::from_code(self.state.swap(state.code(), Ordering::AcqRel));
        self.lag_ms
            .store(lag_ms.unwrap_or(u64::MAX), Ordering::Release);
        if before != state {
            let lag = lag_ms.map(|l| format!(" (lag {l} ms)")).unwrap_or_default();
            match state {
                ReplicaState::Healthy => log::info!("{} serves reads{lag}", self.name),
                _ => log::warn!(
                    "{} skipped: {}{lag}; reads go elsewhere",
                    self.name,
                    state.as_str()
                ),
            }
        }
    }
}

/// The replicas of one primary, their health, and the watermark.
pub struct Replicas {
    members: Vec<Member>,
    next: AtomicUsize,
    max_lag: Duration,
    /// The primary's WAL position (bytes from 0/0) at or past every change this instance has heard of.
    watermark: AtomicU64,
    /// True while the listener that raises the watermark is connected: otherwise no replica is trusted.
    listening: AtomicBool,
    primary_reads: AtomicU64,
    stop: AtomicBool,
    born: Instant,
}

impl Replicas {
    /// One pool per replica URL (none connects before it is used).
    pub fn new(
        urls: &[String],
        pool_size: u32,
        statement_timeout_ms: u32,
        max_lag: Duration,
    ) -> Arc<Self> {
        let members = urls
            .iter()
            .enumerate()
            .map(|(i, url)| Member {
                name: format!("replica {}", i + 1),
                url: url.clone(),
                pool: super::build_pool(url, pool_size, statement_timeout_ms),
                state: std::sync::atomic::AtomicU8::new(ReplicaState::Unknown.code()),
                replayed: AtomicU64::new(0),
                lag_ms: AtomicU64::new(u64::MAX),
                reads: AtomicU64::new(0),
                checked_ms: AtomicU64::new(0),
            })
            .collect();
        Arc::new(Replicas {
            members,
            next: AtomicUsize::new(0),
            max_lag,
            watermark: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            primary_reads: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            born: Instant::now(),
        })
    }

    /// True when replicas are configured.
    pub fn any(&self) -> bool {
        !self.members.is_empty()
    }

    /// Raises the watermark: no replica serves a read until it has replayed up to `position`.
    pub fn advance(&self, position: u64) {
        self.watermark.fetch_max(position, Ordering::AcqRel);
    }

    /// Told by the listener whether it is connected (and so whether the watermark keeps up with changes).
    pub fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
    }

    /// A connection for a public read: a healthy replica that has reached the watermark, else the primary.
    pub fn read_connection(&self, primary: &Pool) -> Result<Conn, DbError> {
        if let Some(conn) = self.replica_connection() {
            return Ok(conn);
        }
        self.primary_reads.fetch_add(1, Ordering::Relaxed);
        primary
            .get()
            .map_err(|e| DbError::Unavailable(e.to_string()))
    }

    fn replica_connection(&self) -> Option<Conn> {
        let n = self.members.len();
        if n == 0 || !self.listening.load(Ordering::Acquire) {
            return None;
        }
        // Read after the caller read the cache's generation: a refill after an invalidation sees the watermark
        // raised before that invalidation.
        let watermark = self.watermark.load(Ordering::Acquire);
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            let member = &self.members[(start + i) % n];
            let age = self
                .millis()
                .saturating_sub(member.checked_ms.load(Ordering::Acquire));
            if member.state() != ReplicaState::Healthy || age > VERDICT_LIFE.as_millis() as u64 {
                continue;
            }
            let Ok(mut conn) = member.pool.get_timeout(REPLICA_WAIT) else {
                continue;
            };
            if member.replayed.load(Ordering::Acquire) < watermark {
                match replay_position(&mut conn) {
                    Ok(Some(replayed)) => {
                        member.replayed.fetch_max(replayed, Ordering::AcqRel);
                        if replayed < watermark {
                            continue;
                        }
                    }
                    _ => continue,
                }
            }
            member.reads.fetch_add(1, Ordering::Relaxed);
            return Some(conn);
        }
        None
    }

    fn millis(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Each replica's state, for `/readyz`; and the reads the primary served instead.
    pub fn status(&self) -> (Vec<ReplicaStatus>, u64) {
        let replicas = self
            .members
            .iter()
            .map(|m| ReplicaStatus {
                name: m.name.clone(),
                state: m.state(),
                lag_ms: match m.lag_ms.load(Ordering::Acquire) {
                    u64::MAX => None,
                    lag => Some(lag),
                },
                reads: m.reads.load(Ordering::Relaxed),
            })
            .collect();
        (replicas, self.primary_reads.load(Ordering::Relaxed))
    }

    /// Stops the monitor thread.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }
}

/// The primary's current WAL insert position, in bytes from 0/0: once a transaction has committed (and so once
/// its `NOTIFY` is delivered), at or past the end of its commit record, even with `synchronous_commit = off`
/// (where the write position may still be behind it).
pub fn primary_position(conn: &mut PgConnection) -> QueryResult<u64> {
    let position: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
        "(pg_current_wal_insert_lsn() - '0/0')::bigint",
    ))
    .get_result(conn)?;
    Ok(u64::try_from(position).unwrap_or(0))
}

/// A replica's replay position (`None` when it is not replaying: not a replica).
fn replay_position(conn: &mut PgConnection) -> QueryResult<Option<u64>> {
    let position: Option<i64> = diesel::select(diesel::dsl::sql::<Nullable<BigInt>>(
        "(pg_last_wal_replay_lsn() - '0/0')::bigint",
    ))
    .get_result(conn)?;
    Ok(position.map(|p| u64::try_from(p).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_survive_their_encoding() {
        for state in [
            ReplicaState::Unknown,
            ReplicaState::Healthy,
            ReplicaState::Lagging,
            ReplicaState::Down,
            ReplicaState::NotReplica,
        ] {
            assert_eq!(ReplicaState::from_code(state.code()), state);
        }
    }
}
