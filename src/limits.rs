//! Per-address limits: failed authentications always (so guessing tokens is slow), public reads when configured.
//! Kept apart from HTTP so the state can hold them without importing the API layer.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The limiters, keyed by client address.
pub struct Limits {
    auth_failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses over the failure limit, and until when: checked before any database lookup.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    reads: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

const MAX_TRACKED: usize = 100_000;

impl Limits {
    pub fn new(auth_failures_per_minute: u32, reads_per_second: u32) -> Limits {
        Limits {
            auth_failures: NonZeroU32::new(auth_failures_per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            blocked: Mutex::new(HashMap::new()),
            reads: NonZeroU32::new(reads_per_second)
                .map(|n| RateLimiter::keyed(Quota::per_second(n))),
        }
    }

    /// Seconds until `limiter` lets `ip` through again, consuming one request if it does now.
    fn wait(limiter: &DefaultKeyedRateLimiter<IpAddr>, ip: IpAddr) -> Option<Duration> {
        if limiter.len() > MAX_TRACKED {
            limiter.retain_recent();
        }
        limiter
            .check_key(&ip)
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Records a failed authentication from `ip`; `Err` with the seconds to wait once the address is over the
    /// limit.
    pub fn auth_failed(&self, ip: IpAddr) -> Result<(), u64> {
        let Some(wait) = self.auth_failures.as_ref().and_then(|l| Self::wait(l, ip)) else {
            return Ok(());
        };
        let mut blocked = self
            .blocked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        if blocked.len() > MAX_TRACKED {
            blocked.retain(|_, until| *until > now);
        }
        blocked.insert(ip, now + wait);
        Err(wait.as_secs().max(1))
    }

    /// Seconds `ip` must still wait after too many failed authentications.
    pub fn auth_blocked(&self, ip: IpAddr) -> Option<u64> {
        let mut blocked = self
            .blocked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let until = *blocked.get(&ip)?;
        let now = Instant::now();
        if until <= now {
            blocked.remove(&ip);
            return None;
        }
        Some((until - now).as_secs().max(1))
    }

    /// Seconds `ip` must wait before its next public read, consuming one read if it may go now.
    pub fn read_wait(&self, ip: IpAddr) -> Option<u64> {
        self.reads
            .as_ref()
            .and_then(|l| Self::wait(l, ip))
            .map(|wait| wait.as_secs().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::Limits;

    #[test]
    fn failed_authentications_block_an_address_after_the_quota() {
        let limits = Limits::new(3, 0);
        let ip = "10.0.0.1".parse().expect("ip");
        let other = "10.0.0.2".parse().expect("ip");
        assert_eq!(limits.auth_blocked(ip), None);
        for _ in 0..3 {
            assert_eq!(limits.auth_failed(ip), Ok(()));
        }
        let wait = limits.auth_failed(ip).expect_err("over the quota");
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limits.auth_blocked(ip).is_some());
        assert_eq!(limits.auth_blocked(other), None, "per address");
        assert_eq!(
            Limits::new(0, 0).auth_failed(ip),
            Ok(()),
            "0 turns the limit off"
        );
    }
}
