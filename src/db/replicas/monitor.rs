//! The monitor: a thread per instance that samples the primary's WAL position and asks each replica what it has
//! replayed, every `CHECK`, on connections of its own; its verdicts (`ReplicaState`, the lag) are what
//! `Replicas::read_connection` goes by.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::sql_types::{BigInt, Bool, Nullable};
use diesel::{Connection, QueryResult, RunQueryDsl};

use super::{primary_position, ReplicaState, Replicas};

/// How often the monitor samples the primary and the replicas: the resolution of the measured lag.
const CHECK: Duration = Duration::from_millis(100);
/// How long the monitor waits for a connection to the primary or a replica.
const CONNECT_TIMEOUT_SECS: u32 = 2;

impl Replicas {
    /// Starts the monitor thread, which measures every replica against the primary at `primary_url`.
    pub fn monitor(self: &Arc<Self>, primary_url: String) {
        if !self.any() {
            return;
        }
        let replicas = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("folio-replica-monitor".to_owned())
            .spawn(move || replicas.monitor_loop(&primary_url));
        if let Err(e) = spawned {
            log::error!("replicas unused: cannot start their monitor: {e}");
        }
    }

    fn monitor_loop(&self, primary_url: &str) {
        let primary_url = with_connect_timeout(primary_url);
        let mut primary: Option<PgConnection> = None;
        // A connection of its own to each replica, so that checking a replica that is down neither waits for nor
        // disturbs the pool the reads use.
        let mut checking: Vec<Option<PgConnection>> = self.members.iter().map(|_| None).collect();
        let mut samples = Samples::default();
        while !self.stop.load(Ordering::Acquire) {
            self.check(&primary_url, &mut primary, &mut checking, &mut samples);
            let now = self.millis();
            for member in &self.members {
                member.checked_ms.store(now, Ordering::Release);
            }
            std::thread::sleep(CHECK);
        }
    }

    fn check(
        &self,
        primary_url: &str,
        primary: &mut Option<PgConnection>,
        checking: &mut [Option<PgConnection>],
        samples: &mut Samples,
    ) {
        let now = Instant::now();
        let position = match primary {
            Some(conn) => primary_position(conn).ok(),
            None => None,
        }
        .or_else(|| {
            let mut conn = PgConnection::establish(primary_url).ok()?;
            let position = primary_position(&mut conn).ok()?;
            *primary = Some(conn);
            Some(position)
        });
        let Some(position) = position else {
            *primary = None;
            for member in &self.members {
                member.set(ReplicaState::Down, None);
            }
            return;
        };
        samples.push(now, position, self.max_lag);
        for (member, conn) in self.members.iter().zip(checking.iter_mut()) {
            let answer = conn.as_mut().and_then(|c| recovery(c).ok()).or_else(|| {
                let mut fresh = PgConnection::establish(&with_connect_timeout(&member.url)).ok()?;
                let answer = recovery(&mut fresh).ok()?;
                *conn = Some(fresh);
                Some(answer)
            });
            if answer.is_none() {
                *conn = None;
            }
            match answer {
                None => member.set(ReplicaState::Down, None),
                Some((false, _)) | Some((true, None)) => member.set(ReplicaState::NotReplica, None),
                Some((true, Some(replayed))) => {
                    member.replayed.store(replayed, Ordering::Release);
                    let now = Instant::now();
                    let lag = samples.lag(replayed, now);
                    let span = samples.span_ms(now);
                    let state = match lag {
                        Some(lag) if lag <= self.max_lag => ReplicaState::Healthy,
                        Some(_) => ReplicaState::Lagging,
                        // Behind every sample: at least as far behind as the oldest, which right after the start
                        // (or a reconnection) may be younger than the bound: not known yet.
                        None if u128::from(span) > self.max_lag.as_millis() => {
                            ReplicaState::Lagging
                        }
                        None => ReplicaState::Unknown,
                    };
                    let lag_ms = lag.map(|l| u64::try_from(l.as_millis()).unwrap_or(u64::MAX - 1));
                    member.set(state, lag_ms.or(Some(span)));
                }
            }
        }
    }
}

/// The primary's WAL positions over the last `max_lag` (and a little more), oldest first.
#[derive(Default)]
struct Samples(VecDeque<(Instant, u64)>);

impl Samples {
    fn push(&mut self, at: Instant, position: u64, max_lag: Duration) {
        self.0.push_back((at, position));
        let keep = max_lag + CHECK * 2;
        while self
            .0
            .front()
            .is_some_and(|(t, _)| at.duration_since(*t) > keep)
        {
            self.0.pop_front();
        }
    }

    /// How far behind a replica that has replayed up to `replayed` is: the age of the newest sample it has
    /// replayed (it has everything the primary had written then), or `None` when it has replayed none of them.
    fn lag(&self, replayed: u64, now: Instant) -> Option<Duration> {
        self.0
            .iter()
            .rev()
            .find(|(_, position)| *position <= replayed)
            .map(|(t, _)| now.duration_since(*t))
    }

    /// The age of the oldest sample: a replica that has replayed none is at least this far behind.
    fn span_ms(&self, now: Instant) -> u64 {
        self.0
            .front()
            .map(|(t, _)| u64::try_from(now.duration_since(*t).as_millis()).unwrap_or(u64::MAX - 1))
            .unwrap_or(0)
    }
}

/// `url` (a URL or a `key=value` string) with a bound on how long connecting may take.
fn with_connect_timeout(url: &str) -> String {
    let timeout = format!("connect_timeout={CONNECT_TIMEOUT_SECS}");
    if url.contains("connect_timeout") {
        url.to_owned()
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}{timeout}")
    } else {
        format!("{url} {timeout}")
    }
}

/// Whether the server is in recovery, and what it has replayed.
fn recovery(conn: &mut PgConnection) -> QueryResult<(bool, Option<u64>)> {
    let (in_recovery, position): (bool, Option<i64>) =
        diesel::select(diesel::dsl::sql::<(Bool, Nullable<BigInt>)>(
            "pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0')::bigint",
        ))
        .get_result(conn)?;
    Ok((in_recovery, position.map(|p| u64::try_from(p).unwrap_or(0))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_age_of_the_newest_sample_replayed() {
        let t0 = Instant::now();
        let mut samples = Samples::default();
        let max = Duration::from_millis(1000);
        samples.push(t0, 100, max);
        samples.push(t0 + Duration::from_millis(100), 200, max);
        samples.push(t0 + Duration::from_millis(200), 300, max);
        let now = t0 + Duration::from_millis(250);
        assert_eq!(samples.lag(300, now), Some(Duration::from_millis(50)));
        assert_eq!(samples.lag(250, now), Some(Duration::from_millis(150)));
        assert_eq!(samples.lag(100, now), Some(Duration::from_millis(250)));
        // Replayed less than the oldest sample: unknown, and at least the span.
        assert_eq!(samples.lag(99, now), None);
        assert_eq!(samples.span_ms(now), 250);
        // Old samples go once they are older than the bound needs.
        samples.push(t0 + Duration::from_millis(2000), 400, max);
        assert_eq!(samples.0.len(), 1);
    }

    #[test]
    fn connecting_is_bounded_in_both_spellings() {
        assert_eq!(
            with_connect_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("postgres:///db?host=/tmp"),
            "postgres:///db?host=/tmp&connect_timeout=2"
        );
        assert_eq!(
            with_connect_timeout("host=h dbname=db"),
            "host=h dbname=db connect_timeout=2"
        );
    }
}
